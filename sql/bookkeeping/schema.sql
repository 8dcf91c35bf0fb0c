-- uuidmig's bookkeeping: the plans it ran, one journal row per executed step (for resume), and the
-- verification checks taken before and after. Created by the first `apply`; never by --dry-run.
CREATE SCHEMA IF NOT EXISTS uuidmig;

CREATE TABLE IF NOT EXISTS uuidmig.plans (
  id text PRIMARY KEY,
  plan_hash text NOT NULL,
  catalog_hash text NOT NULL,
  plan jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('applying', 'failed', 'applied', 'rolling_back', 'rolled_back', 'finalized')),
  run integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS uuidmig.journal (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  plan_id text NOT NULL REFERENCES uuidmig.plans (id),
  run integer NOT NULL,
  action text NOT NULL CHECK (action IN ('apply', 'rollback', 'finalize')),
  stage_id text NOT NULL,
  step_id text,
  status text NOT NULL CHECK (status IN ('done', 'failed')),
  rows bigint,
  catalog_hash text,
  statement text,
  error text,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE IF NOT EXISTS uuidmig.checks (
  plan_id text NOT NULL REFERENCES uuidmig.plans (id),
  phase text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('table', 'reference')),
  name text NOT NULL,
  rows bigint NOT NULL,
  orphans bigint,
  fingerprint numeric,
  taken_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (plan_id, phase, kind, name)
);

-- The largest key of a converted table at each check (added after the first release: older
-- bookkeeping schemas get it here).
ALTER TABLE uuidmig.checks ADD COLUMN IF NOT EXISTS max_key numeric;

-- For a batched step (the online backfill): the key its batch reached, so a resumed run goes on from
-- the next batch (added with the online strategy: older bookkeeping schemas get it here).
ALTER TABLE uuidmig.journal ADD COLUMN IF NOT EXISTS batch_bound text;
