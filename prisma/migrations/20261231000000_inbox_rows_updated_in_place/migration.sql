-- Each stored event is updated twice as it is processed (claimed, then finished). Full pages put each new row version
-- on another page: PostgreSQL then also logs a lock of the old version, and the two pages' first changes after a
-- checkpoint are logged whole. With room left on each page, both versions stay on one page and the update is logged
-- as its difference: in a 100,000-event drain, 195,000 lock records (110 MB of page images) went, and the updates'
-- WAL fell from 329 to 139 MB (docs/performance.md). Pages filled after this change keep the room.
ALTER TABLE "inbound_events" SET (fillfactor = 70);
