.timer on
CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000) INSERT INTO t SELECT x, hex(randomblob(16)) FROM c;
CREATE INDEX t_v ON t(v);
SELECT 'above', count(*) FROM t WHERE v > '8';
.timer off
SELECT 'rows', count(*) FROM t;
