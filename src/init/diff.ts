import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';

/**
 * A unified diff of one file (`--- a/<name>`, `+++ b/<name>`, hunks with 3 lines of context), as
 * `git apply` and `patch -p1` take it. The `diff` package does the line diff (Myers) and the hunks.
 */
export function unifiedDiff(name: string, before: string, after: string): string {
  const options = { context: 3, headerOptions: FILE_HEADERS_ONLY };
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, options);
}
