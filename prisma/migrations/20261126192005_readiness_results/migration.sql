-- CreateTable
CREATE TABLE "readiness_results" (
    "id" UUID NOT NULL,
    "check" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "remedy" TEXT,
    "evidence" JSONB NOT NULL,
    "ranBy" TEXT NOT NULL,
    "trigger" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "finishedAt" TIMESTAMPTZ(3) NOT NULL,
    "durationMs" INTEGER NOT NULL,

    CONSTRAINT "readiness_results_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "readiness_results_check_finishedAt_idx" ON "readiness_results"("check", "finishedAt");
