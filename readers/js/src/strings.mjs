// The string limit (spec.md section 8), shared by both parsers.

/** Is `str` longer than `max` characters? Characters are code points, not UTF-16 units. */
export function stringTooLong(str, max) {
  if (str.length <= max) return false; // never more code points than units
  let count = 0;
  for (const _ of str) if (++count > max) return true;
  return false;
}

/** A member name as the LIMIT_STRING pointer names it: its first 64 characters (9.3). */
export function nameForPointer(name) {
  return Array.from(name).slice(0, 64).join('');
}

/**
 * Is `path` the `data` member of a tensor (/tensors/i/data)? That one string is
 * exempt from the limit; strings inside `list` data are not (section 8).
 */
export function atTensorData(path) {
  return path.length === 3 && path[0] === 'tensors' && typeof path[1] === 'number' && path[2] === 'data';
}
