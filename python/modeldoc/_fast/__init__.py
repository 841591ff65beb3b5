"""The fast paths of reading and writing, behind the reference path.

Each module here does what a reference module does, faster, and is proven equal to it:
when it meets anything it cannot vouch for, it gives up (``bigfile.Fallback``) and the
reference path runs, so results, findings and pointers never depend on which path ran.

- ``bigread``: reading files of ``bigfile.STREAM_THRESHOLD`` or more (``reader._read`` calls it);
- ``bigfile``: cutting payloads out of a file (the JSON and MessagePack scanners);
- ``payloads``: decoding base64 and raw payloads from the file in chunks, hashing as they go;
- ``listread``: ``list`` payloads parsed by orjson block by block;
- ``fastlist``: ``list`` text written by orjson, byte for byte the reference text;
- ``hashing``: SHA-256 on a second core, and the job pool;
- ``schemacheck``: the schema layer's verdict without jsonschema; jsonschema words the findings
  when the verdict is "invalid";
- ``skeleton``: the structure of a big file with its payloads cut out (bigread and lazy access).

The reference path is ``reader.py`` with ``jsontext.py``/``msgpacktext.py`` and ``encodings.py``
(reading) and ``writer.py`` with ``floattext.py`` (writing). Tests compare the two on every fixture
and on mutants: tests/test_bigfile.py, test_listread.py, test_fastlist.py, test_validate_parallel.py,
test_schemacheck.py.
"""
