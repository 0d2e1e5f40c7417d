import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CopyPool } from "../../../extension/core/proxy/h2/copyPool";

describe("CopyPool (copies of shared read-buffer views for h2 writes)", () => {
  it("copies the bytes, so the source can be overwritten at once", () => {
    const pool = new CopyPool(16, 2, 1);
    const source = Buffer.from("hello world");
    const lease = pool.copy(source);
    source.fill(0);
    assert.equal(lease.data.toString(), "hello world");
  });

  it("reuses a buffer only once sealed and every held write has completed", () => {
    const pool = new CopyPool(16, 2, 1);
    const first = pool.copy(Buffer.from("first"));
    const doneA = first.hold();
    const doneB = first.hold();
    first.seal();
    doneA();
    assert.equal(pool.idleCount, 0, "one write still reads it");
    doneB();
    doneB(); // a second call changes nothing
    assert.equal(pool.idleCount, 1);
    const second = pool.copy(Buffer.from("second"));
    assert.equal(pool.idleCount, 0, "the idle buffer was taken again");
    assert.equal(second.data.toString(), "second");
    assert.equal(first.data.buffer, second.data.buffer, "the same memory, now holding the new bytes");
  });

  it("does not return a buffer before it is sealed, even with no writes held", () => {
    const pool = new CopyPool(16, 2, 1);
    const lease = pool.copy(Buffer.from("x"));
    lease.hold()();
    assert.equal(pool.idleCount, 0);
    lease.seal();
    assert.equal(pool.idleCount, 1);
  });

  it("gives a chunk under the pooled minimum a copy of its own size, so small reads never hold a whole buffer", () => {
    const pool = new CopyPool(1024, 2, 256);
    const small = pool.copy(Buffer.alloc(100, 7));
    assert.deepEqual(small.data, Buffer.alloc(100, 7));
    small.seal();
    assert.equal(pool.idleCount, 0, "not returned to the pool: it was never a pooled buffer");
    const large = pool.copy(Buffer.alloc(300, 9));
    large.seal();
    assert.equal(pool.idleCount, 1, "a chunk over the minimum uses (and returns) a pooled buffer");
  });

  it("keeps at most `keep` idle buffers, and gives a chunk larger than its buffers its own copy", () => {
    const pool = new CopyPool(4, 1, 1);
    const leases = [pool.copy(Buffer.from("ab")), pool.copy(Buffer.from("cd"))];
    for (const l of leases) l.seal();
    assert.equal(pool.idleCount, 1);
    const big = pool.copy(Buffer.from("larger than four"));
    assert.equal(big.data.toString(), "larger than four");
    big.seal();
    assert.equal(pool.idleCount, 1, "the oversized copy is not pooled");
  });
});
