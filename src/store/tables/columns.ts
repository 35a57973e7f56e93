/**
 * A table's columns, named. Hot reads list their columns rather than `*`: the SQLite store
 * builds such rows in JavaScript, twice as fast, and PostgreSQL gets them as named statements
 * (store/db.ts). A column added to a table's interface must be added to its list; the compiler
 * says so, because the list is written as an object with every key of the interface.
 *
 * @example
 *   export const TAG_COLUMNS = columnsOf<TagsTable>({ account_id: true, … });
 */
export function columnsOf<T>(all: Record<keyof T, true>) {
  return Object.keys(all) as Array<keyof T & string>;
}
