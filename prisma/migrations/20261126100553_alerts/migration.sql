-- CreateEnum
CREATE TYPE "AlertLevel" AS ENUM ('info', 'warning', 'critical');

-- CreateTable
CREATE TABLE "alerts" (
    "id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "openKey" TEXT,
    "level" "AlertLevel" NOT NULL,
    "source" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "details" JSONB,
    "count" INTEGER NOT NULL DEFAULT 1,
    "firstAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),
    "resolution" TEXT,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "alerts_openKey_key" ON "alerts"("openKey");

-- CreateIndex
CREATE INDEX "alerts_lastAt_idx" ON "alerts"("lastAt");

-- CreateIndex
CREATE INDEX "alerts_key_firstAt_idx" ON "alerts"("key", "firstAt");
