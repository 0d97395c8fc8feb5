-- The audit log becomes append-only and hash-chained. Every writer (Prisma or SQL, any process) goes through
-- the BEFORE INSERT trigger, which numbers the row (seq, no gaps) and chains it to the row before it (prevHash,
-- hash). UPDATE, DELETE and TRUNCATE raise. `ai-trader audit verify` recomputes the chain
-- (packages/core/src/use-cases/audit-chain.ts builds the same canonical text in Node: keep the two in step).

-- AlterTable
ALTER TABLE "audit_log" ADD COLUMN     "hash" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "prevHash" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "seq" BIGINT NOT NULL DEFAULT 0;

-- One field of the canonical text: '|-' for NULL, else '|' || its length in bytes || ':' || the text, so no
-- value can imitate a field boundary and NULL differs from ''.
CREATE FUNCTION audit_log_field(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN v IS NULL THEN '|-' ELSE '|' || octet_length(v)::text || ':' || v END
$$;

-- The canonical text of a row (version 1). `at` as epoch milliseconds (the column holds ms) is the same in every
-- time zone; jsonb's text form is canonical (sorted keys, fixed spacing).
CREATE FUNCTION audit_log_canonical(prev_hash text, seq bigint, at timestamptz, actor_id text, actor_email text, action text, reason text, before jsonb, after jsonb)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT 'ait-audit-v1'
    || audit_log_field(prev_hash) || audit_log_field(seq::text) || audit_log_field(((extract(epoch FROM at) * 1000)::bigint)::text)
    || audit_log_field(actor_id) || audit_log_field(actor_email) || audit_log_field(action) || audit_log_field(reason)
    || audit_log_field(before::text) || audit_log_field(after::text)
$$;

-- Existing rows: chained in id order.
DO $$
DECLARE
  r record;
  prev text := repeat('0', 64);
  n bigint := 0;
  h text;
BEGIN
  FOR r IN SELECT id, at, "actorId", "actorEmail", action, reason, before, after FROM "audit_log" ORDER BY id LOOP
    n := n + 1;
    h := encode(sha256(convert_to(audit_log_canonical(prev, n, r.at, r."actorId", r."actorEmail", r.action, r.reason, r.before, r.after), 'UTF8')), 'hex');
    UPDATE "audit_log" SET seq = n, "prevHash" = prev, hash = h WHERE id = r.id;
    prev := h;
  END LOOP;
END $$;

-- CreateIndex
CREATE UNIQUE INDEX "audit_log_seq_key" ON "audit_log"("seq");

-- CreateIndex
CREATE INDEX "audit_log_action_at_idx" ON "audit_log"("action", "at");

-- Chains every new row. The advisory lock serialises writers until their transaction ends, so the row read as
-- the last one is committed (or is this transaction's own): a rolled-back insert leaves no gap, and concurrent
-- writers never take the same seq. Values a writer passes for seq/prevHash/hash are overwritten.
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  last_seq bigint;
  last_hash text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('audit.chain'));
  SELECT l.seq, l.hash INTO last_seq, last_hash FROM "audit_log" l ORDER BY l.seq DESC LIMIT 1;
  NEW.seq := coalesce(last_seq, 0) + 1;
  NEW."prevHash" := coalesce(last_hash, repeat('0', 64));
  NEW.hash := encode(sha256(convert_to(audit_log_canonical(NEW."prevHash", NEW.seq, NEW.at, NEW."actorId", NEW."actorEmail", NEW.action, NEW.reason, NEW.before, NEW.after), 'UTF8')), 'hex');
  RETURN NEW;
END $$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Append-only, for every role including the owner and superusers (statement level: refused even when no row
-- matches). Triggers can be switched off by the owner (ALTER TABLE … DISABLE TRIGGER) or a superuser
-- (session_replication_role = replica): that is what `audit verify` and a head hash kept elsewhere are for.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused (rows are hash-chained; see ai-trader audit verify)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- No role but the owner may change or remove rows (the application connects as a role that only has
-- SELECT and INSERT: ARCHITECTURE.md, "Audit trail").
REVOKE UPDATE, DELETE, TRUNCATE ON "audit_log" FROM PUBLIC;
