/* The second migration: posts, and a trigger (a compound statement). */
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), title TEXT);
CREATE TABLE post_count (n INTEGER);
INSERT INTO post_count VALUES (0);
CREATE TRIGGER count_posts AFTER INSERT ON posts BEGIN
  UPDATE post_count SET n = n + 1;
END;
INSERT INTO posts (user_id, title) VALUES (1, 'hello');
