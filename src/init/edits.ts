/** A change to a file's text at positions the syntax tree gave: everything around it stays as it was. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** `text` with every edit made, in order of position (edits at one position in the order given); none overlap. */
export function applyEdits(text: string, edits: Edit[]): string {
  const ordered = edits.map((e, i) => ({ ...e, i })).sort((a, b) => a.start - b.start || a.i - b.i);
  let out = '';
  let cursor = 0;
  for (const edit of ordered) {
    if (edit.start < cursor) throw new Error(`init: overlapping edits at ${edit.start}`);
    out += text.slice(cursor, edit.start) + edit.text;
    cursor = edit.end;
  }
  return out + text.slice(cursor);
}
