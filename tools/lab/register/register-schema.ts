// The register's schema, as migrations: SQLite's user_version says how many have run, and each
// runs once, in a transaction, in order. A new column or table is a new migration at the end;
// a migration that shipped is never edited.

export const MIGRATIONS: string[] = [
  // 1: devices and their history.
  `CREATE TABLE devices (
     kind TEXT NOT NULL CHECK (kind IN ('tag', 'unit')),
     id INTEGER NOT NULL CHECK (id BETWEEN 1 AND 4294967295),
     firmware TEXT NOT NULL,
     key_version INTEGER NOT NULL CHECK (key_version BETWEEN 0 AND 255),
     state TEXT NOT NULL CHECK (state IN ('in_stock', 'issued', 'lost', 'retired')),
     case_ref TEXT,
     issued_at TEXT,
     issue_condition TEXT CHECK (issue_condition IN ('working', 'damaged')),
     returned_at TEXT,
     return_condition TEXT CHECK (return_condition IN ('working', 'damaged', 'lost')),
     paired_with INTEGER,
     PRIMARY KEY (kind, id)
   );
   CREATE TABLE history (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     kind TEXT NOT NULL,
     id INTEGER NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL,
     operator TEXT NOT NULL
   );
   CREATE INDEX history_device ON history (kind, id, seq);`,
];
