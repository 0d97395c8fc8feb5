-- CreateEnum
CREATE TYPE "OrderSide" AS ENUM ('BUY', 'SELL');

-- CreateEnum
CREATE TYPE "RiskOutcome" AS ENUM ('APPROVED', 'DENIED');

-- CreateEnum
CREATE TYPE "IntentStatus" AS ENUM ('PENDING', 'SUBMITTED', 'BLOCKED');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('pending_new', 'new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired');

-- CreateEnum
CREATE TYPE "TradingState" AS ENUM ('ACTIVE', 'REDUCING', 'HALTED');

-- CreateTable
CREATE TABLE "user" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "emailVerified" BOOLEAN NOT NULL DEFAULT false,
    "image" TEXT,
    "role" TEXT NOT NULL DEFAULT 'viewer',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "session" (
    "id" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "ipAddress" TEXT,
    "userAgent" TEXT,
    "userId" TEXT NOT NULL,

    CONSTRAINT "session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account" (
    "id" TEXT NOT NULL,
    "accountId" TEXT NOT NULL,
    "providerId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "accessToken" TEXT,
    "refreshToken" TEXT,
    "idToken" TEXT,
    "accessTokenExpiresAt" TIMESTAMPTZ(3),
    "refreshTokenExpiresAt" TIMESTAMPTZ(3),
    "scope" TEXT,
    "password" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "verification" (
    "id" TEXT NOT NULL,
    "identifier" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "verification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "market_data_5m" (
    "symbol" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "open" DECIMAL(20,6) NOT NULL,
    "high" DECIMAL(20,6) NOT NULL,
    "low" DECIMAL(20,6) NOT NULL,
    "close" DECIMAL(20,6) NOT NULL,
    "volume" BIGINT NOT NULL,
    "source" TEXT NOT NULL,

    CONSTRAINT "market_data_5m_pkey" PRIMARY KEY ("symbol","ts")
) PARTITION BY RANGE ("ts");

-- Hand-written: range partitions by "ts" (Prisma ignores partitions in its diffs). Rows outside
-- every explicit range land in the DEFAULT partition. Add monthly ones in later migrations.
CREATE TABLE "market_data_5m_default" PARTITION OF "market_data_5m" DEFAULT;

-- CreateTable
CREATE TABLE "signals" (
    "id" UUID NOT NULL,
    "strategy" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "barTs" TIMESTAMPTZ(3) NOT NULL,
    "side" "OrderSide" NOT NULL,
    "price" DECIMAL(20,6) NOT NULL,
    "detail" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "risk_decisions" (
    "id" UUID NOT NULL,
    "signalId" UUID NOT NULL,
    "outcome" "RiskOutcome" NOT NULL,
    "reasonCode" TEXT,
    "message" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "risk_decisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_intents" (
    "id" UUID NOT NULL,
    "riskDecisionId" UUID NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "OrderSide" NOT NULL,
    "qty" DECIMAL(18,6) NOT NULL,
    "refPrice" DECIMAL(20,6) NOT NULL,
    "isEntry" BOOLEAN NOT NULL,
    "status" "IntentStatus" NOT NULL DEFAULT 'PENDING',
    "statusReason" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "order_intents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL,
    "intentId" UUID NOT NULL,
    "clientOrderId" TEXT NOT NULL,
    "brokerOrderId" TEXT,
    "broker" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "OrderSide" NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'market',
    "qty" DECIMAL(18,6) NOT NULL,
    "filledQty" DECIMAL(18,6) NOT NULL DEFAULT 0,
    "avgFillPrice" DECIMAL(20,6),
    "status" "OrderStatus" NOT NULL DEFAULT 'pending_new',
    "rejectReason" TEXT,
    "submittedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "fills" (
    "id" UUID NOT NULL,
    "executionId" TEXT NOT NULL,
    "orderId" UUID NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "OrderSide" NOT NULL,
    "qty" DECIMAL(18,6) NOT NULL,
    "price" DECIMAL(20,6) NOT NULL,
    "filledAt" TIMESTAMPTZ(3) NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "fills_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "positions" (
    "symbol" TEXT NOT NULL,
    "qty" DECIMAL(18,6) NOT NULL,
    "avgCost" DECIMAL(20,6) NOT NULL,
    "realizedPnl" DECIMAL(20,6) NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "positions_pkey" PRIMARY KEY ("symbol")
);

-- CreateTable
CREATE TABLE "portfolio_account" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "cash" DECIMAL(20,6) NOT NULL,
    "startingCash" DECIMAL(20,6) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "portfolio_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "trading_state" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "state" "TradingState" NOT NULL DEFAULT 'ACTIVE',
    "reason" TEXT NOT NULL DEFAULT 'initial',
    "changedById" TEXT,
    "changedByEmail" TEXT,
    "changedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "version" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "trading_state_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorEmail" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "reason" TEXT,
    "before" JSONB,
    "after" JSONB,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_orders" (
    "id" UUID NOT NULL,
    "clientOrderId" TEXT NOT NULL,
    "symbol" TEXT NOT NULL,
    "side" "OrderSide" NOT NULL,
    "type" TEXT NOT NULL,
    "qty" DECIMAL(18,6) NOT NULL,
    "filledQty" DECIMAL(18,6) NOT NULL DEFAULT 0,
    "status" "OrderStatus" NOT NULL DEFAULT 'new',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sim_orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_executions" (
    "id" UUID NOT NULL,
    "simOrderId" UUID NOT NULL,
    "qty" DECIMAL(18,6) NOT NULL,
    "price" DECIMAL(20,6) NOT NULL,
    "barTs" TIMESTAMPTZ(3) NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sim_executions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sim_account" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "cash" DECIMAL(20,6) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sim_account_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "user_email_key" ON "user"("email");

-- CreateIndex
CREATE UNIQUE INDEX "session_token_key" ON "session"("token");

-- CreateIndex
CREATE INDEX "session_userId_idx" ON "session"("userId");

-- CreateIndex
CREATE INDEX "account_userId_idx" ON "account"("userId");

-- CreateIndex
CREATE INDEX "verification_identifier_idx" ON "verification"("identifier");

-- CreateIndex
CREATE INDEX "market_data_5m_ts_idx" ON "market_data_5m"("ts");

-- CreateIndex
CREATE UNIQUE INDEX "signals_strategy_symbol_barTs_key" ON "signals"("strategy", "symbol", "barTs");

-- CreateIndex
CREATE UNIQUE INDEX "risk_decisions_signalId_key" ON "risk_decisions"("signalId");

-- CreateIndex
CREATE UNIQUE INDEX "order_intents_riskDecisionId_key" ON "order_intents"("riskDecisionId");

-- CreateIndex
CREATE INDEX "order_intents_status_idx" ON "order_intents"("status");

-- CreateIndex
CREATE UNIQUE INDEX "orders_intentId_key" ON "orders"("intentId");

-- CreateIndex
CREATE UNIQUE INDEX "orders_clientOrderId_key" ON "orders"("clientOrderId");

-- CreateIndex
CREATE UNIQUE INDEX "orders_brokerOrderId_key" ON "orders"("brokerOrderId");

-- CreateIndex
CREATE INDEX "orders_status_idx" ON "orders"("status");

-- CreateIndex
CREATE INDEX "orders_createdAt_idx" ON "orders"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "fills_executionId_key" ON "fills"("executionId");

-- CreateIndex
CREATE INDEX "fills_orderId_idx" ON "fills"("orderId");

-- CreateIndex
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

-- CreateIndex
CREATE UNIQUE INDEX "sim_orders_clientOrderId_key" ON "sim_orders"("clientOrderId");

-- CreateIndex
CREATE INDEX "sim_orders_symbol_status_idx" ON "sim_orders"("symbol", "status");

-- AddForeignKey
ALTER TABLE "session" ADD CONSTRAINT "session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account" ADD CONSTRAINT "account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "risk_decisions" ADD CONSTRAINT "risk_decisions_signalId_fkey" FOREIGN KEY ("signalId") REFERENCES "signals"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_intents" ADD CONSTRAINT "order_intents_riskDecisionId_fkey" FOREIGN KEY ("riskDecisionId") REFERENCES "risk_decisions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_intentId_fkey" FOREIGN KEY ("intentId") REFERENCES "order_intents"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "fills" ADD CONSTRAINT "fills_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sim_executions" ADD CONSTRAINT "sim_executions_simOrderId_fkey" FOREIGN KEY ("simOrderId") REFERENCES "sim_orders"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Hand-written: the trading_state singleton every order checks.
INSERT INTO "trading_state" ("id","state","reason","changedAt","version") VALUES (1,'ACTIVE','initial',now(),0);
