// Live events: workers publish "something of kind X changed" on one Redis channel; the console's
// subscription re-reads and pushes. Payload-free on purpose: the database stays the source of truth.
import type { TLiveEvent } from '@ai-trader/contracts';
import type { Redis } from 'ioredis';
import type { Clock, EventBus } from '../ports.ts';
import { keys } from './redis.ts';

export function redisEventBus(redis: Redis, prefix: string, clock: Clock): EventBus {
  const channel = keys(prefix).live;
  return {
    async publish(kind) {
      const ev: TLiveEvent = { kind, at: clock.now().toISOString() };
      await redis.publish(channel, JSON.stringify(ev));
    },
  };
}
