-- The first migration: a table of users (tests/e2e/d1.rs).
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  note TEXT DEFAULT 'a;b' -- a semicolon inside a string
);
INSERT INTO users (name) VALUES ('ada'), ('grace');
