-- Byte-order ("C") collation for the key columns of observations: codes are compared for
-- equality and order, never sorted for people, and locale-aware comparison made index
-- maintenance during COPY several times slower than the rows' transfer.
ALTER TABLE observations
    ALTER COLUMN area_code TYPE TEXT COLLATE "C",
    ALTER COLUMN indicator TYPE TEXT COLLATE "C",
    ALTER COLUMN period    TYPE TEXT COLLATE "C",
    ALTER COLUMN age_band  TYPE TEXT COLLATE "C",
    ALTER COLUMN sex       TYPE TEXT COLLATE "C",
    ALTER COLUMN segment   TYPE TEXT COLLATE "C";
