-- CreateTable
CREATE TABLE "equity_snapshots" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "day" TEXT NOT NULL,
    "equity" DECIMAL(20,2) NOT NULL,
    "cash" DECIMAL(20,2) NOT NULL,
    "peak" DECIMAL(20,2) NOT NULL,
    "dayStart" DECIMAL(20,2) NOT NULL,

    CONSTRAINT "equity_snapshots_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "equity_snapshots_at_idx" ON "equity_snapshots"("at");
