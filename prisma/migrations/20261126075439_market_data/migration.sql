-- Market data for every timeframe, news, the quarantine of rejected bars, and backfill runs/checkpoints.
-- Hand edit: the bar tables and news are range-partitioned with a DEFAULT partition (as market_data_5m).

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'canceled');

-- CreateTable
CREATE TABLE "market_data_1m" (
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "open" DECIMAL(20,6) NOT NULL,
    "high" DECIMAL(20,6) NOT NULL,
    "low" DECIMAL(20,6) NOT NULL,
    "close" DECIMAL(20,6) NOT NULL,
    "volume" BIGINT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "market_data_1m_pkey" PRIMARY KEY ("symbol","ts")
) PARTITION BY RANGE ("ts");

-- Rows for which no dated partition exists yet land here (ingestion never fails on a missing partition).
CREATE TABLE "market_data_1m_default" PARTITION OF "market_data_1m" DEFAULT;

-- CreateTable
CREATE TABLE "market_data_1h" (
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "open" DECIMAL(20,6) NOT NULL,
    "high" DECIMAL(20,6) NOT NULL,
    "low" DECIMAL(20,6) NOT NULL,
    "close" DECIMAL(20,6) NOT NULL,
    "volume" BIGINT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "market_data_1h_pkey" PRIMARY KEY ("symbol","ts")
) PARTITION BY RANGE ("ts");

-- Rows for which no dated partition exists yet land here (ingestion never fails on a missing partition).
CREATE TABLE "market_data_1h_default" PARTITION OF "market_data_1h" DEFAULT;

-- CreateTable
CREATE TABLE "market_data_1d" (
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "open" DECIMAL(20,6) NOT NULL,
    "high" DECIMAL(20,6) NOT NULL,
    "low" DECIMAL(20,6) NOT NULL,
    "close" DECIMAL(20,6) NOT NULL,
    "volume" BIGINT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "market_data_1d_pkey" PRIMARY KEY ("symbol","ts")
) PARTITION BY RANGE ("ts");

-- Rows for which no dated partition exists yet land here (ingestion never fails on a missing partition).
CREATE TABLE "market_data_1d_default" PARTITION OF "market_data_1d" DEFAULT;

-- CreateTable
CREATE TABLE "news" (
    "id" TEXT NOT NULL,
    "publishedAt" TIMESTAMPTZ(3) NOT NULL,
    "tickers" TEXT[],
    "title" TEXT NOT NULL,
    "author" TEXT,
    "publisher" TEXT,
    "url" TEXT NOT NULL,
    "description" TEXT,
    "keywords" TEXT[],
    "source" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "news_pkey" PRIMARY KEY ("id","publishedAt")
) PARTITION BY RANGE ("publishedAt");

CREATE TABLE "news_default" PARTITION OF "news" DEFAULT;

-- CreateTable
CREATE TABLE "bar_quarantine" (
    "id" BIGSERIAL NOT NULL,
    "symbol" TEXT,
    "timeframe" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3),
    "kind" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "raw" JSONB NOT NULL,
    "runId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bar_quarantine_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backfill_runs" (
    "id" UUID NOT NULL,
    "stage" TEXT NOT NULL,
    "timeframe" TEXT NOT NULL,
    "symbols" TEXT[],
    "fromDate" TEXT NOT NULL,
    "toDate" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "requestedBy" TEXT NOT NULL,
    "error" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "backfill_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "backfill_chunks" (
    "runId" UUID NOT NULL,
    "stage" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'queued',
    "rowsStored" INTEGER NOT NULL DEFAULT 0,
    "rowsRejected" INTEGER NOT NULL DEFAULT 0,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "backfill_chunks_pkey" PRIMARY KEY ("runId","stage","symbol","day")
);

-- CreateIndex
CREATE INDEX "market_data_1m_ts_idx" ON "market_data_1m"("ts");

-- CreateIndex
CREATE INDEX "market_data_1h_ts_idx" ON "market_data_1h"("ts");

-- CreateIndex
CREATE INDEX "market_data_1d_ts_idx" ON "market_data_1d"("ts");

-- CreateIndex
CREATE INDEX "news_publishedAt_idx" ON "news"("publishedAt");

-- CreateIndex
CREATE INDEX "news_tickers_idx" ON "news" USING GIN ("tickers");

-- CreateIndex
CREATE INDEX "bar_quarantine_symbol_timeframe_ts_idx" ON "bar_quarantine"("symbol", "timeframe", "ts");

-- CreateIndex
CREATE INDEX "bar_quarantine_createdAt_idx" ON "bar_quarantine"("createdAt");

-- CreateIndex
CREATE INDEX "backfill_runs_createdAt_idx" ON "backfill_runs"("createdAt");

-- CreateIndex
CREATE INDEX "backfill_chunks_runId_status_idx" ON "backfill_chunks"("runId", "status");

-- AddForeignKey
ALTER TABLE "backfill_chunks" ADD CONSTRAINT "backfill_chunks_runId_fkey" FOREIGN KEY ("runId") REFERENCES "backfill_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
