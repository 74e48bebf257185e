-- Drop the per-row foreign-key check of observations.dataset_id on PostgreSQL. Every observation
-- is written by StoreTx::insert_observations in the same transaction that created its dataset,
-- and datasets are never deleted (they are retired), so the reference cannot break through
-- lighed; Store::integrity_ok checks for orphans instead. The check ran as a trigger per row and
-- more than doubled the time of a COPY (2 M rows here: 43.8 s with it, 18.0 s without).
ALTER TABLE observations DROP CONSTRAINT IF EXISTS observations_dataset_id_fkey;
