-- AlterTable
ALTER TABLE "signals" ADD COLUMN     "modelVersion" TEXT,
ADD COLUMN     "score" DOUBLE PRECISION,
ADD COLUMN     "topFeatures" JSONB;

-- CreateTable
CREATE TABLE "features" (
    "symbol" TEXT NOT NULL,
    "timeframe" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "setVersion" INTEGER NOT NULL,
    "values" JSONB NOT NULL,
    "computedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "features_pkey" PRIMARY KEY ("symbol","timeframe","ts")
);

-- CreateTable
CREATE TABLE "scanner_runs" (
    "id" UUID NOT NULL,
    "layer" TEXT NOT NULL,
    "asOf" TIMESTAMPTZ(3) NOT NULL,
    "config" JSONB NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'running',
    "error" TEXT,
    "symbolsIn" INTEGER NOT NULL DEFAULT 0,
    "symbolsOut" INTEGER NOT NULL DEFAULT 0,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "scanner_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scanner_results" (
    "runId" UUID NOT NULL,
    "symbol" TEXT NOT NULL,
    "passed" BOOLEAN NOT NULL,
    "rank" INTEGER,
    "metrics" JSONB NOT NULL,
    "reasons" TEXT[],

    CONSTRAINT "scanner_results_pkey" PRIMARY KEY ("runId","symbol")
);

-- CreateTable
CREATE TABLE "scanner_alerts" (
    "id" UUID NOT NULL,
    "runId" UUID NOT NULL,
    "symbol" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "detail" TEXT NOT NULL,
    "metrics" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "scanner_alerts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "models" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "featureNames" TEXT[],
    "params" JSONB NOT NULL,
    "symbols" TEXT[],
    "timeframe" TEXT NOT NULL,
    "trainFrom" TIMESTAMPTZ(3) NOT NULL,
    "trainTo" TIMESTAMPTZ(3) NOT NULL,
    "seed" INTEGER NOT NULL,
    "metrics" JSONB NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "strategies" (
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "symbols" TEXT[],
    "layer" TEXT,
    "timeframe" TEXT NOT NULL,
    "params" JSONB NOT NULL,
    "sizing" JSONB NOT NULL,
    "modelName" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "strategies_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "backtest_runs" (
    "id" UUID NOT NULL,
    "strategy" TEXT NOT NULL,
    "config" JSONB NOT NULL,
    "symbols" TEXT[],
    "fromDate" TEXT NOT NULL,
    "toDate" TEXT NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'running',
    "error" TEXT,
    "metrics" JSONB,
    "equityCurve" JSONB,
    "trades" JSONB,
    "createdBy" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "backtest_runs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "scanner_runs_layer_startedAt_idx" ON "scanner_runs"("layer", "startedAt");

-- CreateIndex
CREATE INDEX "scanner_alerts_ts_idx" ON "scanner_alerts"("ts");

-- CreateIndex
CREATE UNIQUE INDEX "scanner_alerts_runId_symbol_kind_key" ON "scanner_alerts"("runId", "symbol", "kind");

-- CreateIndex
CREATE UNIQUE INDEX "models_name_version_key" ON "models"("name", "version");

-- CreateIndex
CREATE INDEX "backtest_runs_strategy_startedAt_idx" ON "backtest_runs"("strategy", "startedAt");

-- AddForeignKey
ALTER TABLE "scanner_results" ADD CONSTRAINT "scanner_results_runId_fkey" FOREIGN KEY ("runId") REFERENCES "scanner_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scanner_alerts" ADD CONSTRAINT "scanner_alerts_runId_fkey" FOREIGN KEY ("runId") REFERENCES "scanner_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;
