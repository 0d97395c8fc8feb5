-- CreateIndex
CREATE INDEX "fills_symbol_filledAt_idx" ON "fills"("symbol", "filledAt");

-- CreateIndex
CREATE INDEX "risk_decisions_createdAt_idx" ON "risk_decisions"("createdAt");
