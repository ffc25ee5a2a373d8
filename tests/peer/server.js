// The conformance functions of features/conformance, written with the official Inngest JS
// SDK: same ids, names, triggers, retries, cancellations, failure handlers and step ids. The differential tests serve this
// app next to ours and send both the same requests.
//
// Environment: PORT (required), SWITCHYARD_APP_ID (the app id, default "switchyard"), and
// Inngest's own variables (INNGEST_DEV, INNGEST_SIGNING_KEY, INNGEST_BASE_URL, ...), which
// the SDK reads itself.

import { appendFileSync } from "node:fs";
import { Inngest, NonRetriableError, RetryAfterError } from "inngest";
import { createServer } from "inngest/node";

const inngest = new Inngest({
  id: process.env.SWITCHYARD_APP_ID || "switchyard",
  // One step per request, as Inngest's executor drives an app without checkpointing.
  checkpointing: false,
});

const sequential = inngest.createFunction(
  {
    id: "conformance-sequential",
    name: "Conformance: sequential steps",
    triggers: [{ event: "conformance/sequential" }],
    retries: 2,
  },
  async ({ event, step }) => {
    const greeting = await step.run("greet", () => `hello ${event.data.name}`);
    const shout = await step.run("shout", () => greeting.toUpperCase());
    const length = await step.run("measure", () => shout.length);
    return { greeting, shout, length };
  },
);

const durable = inngest.createFunction(
  {
    id: "conformance-durable",
    name: "Conformance: logged step bodies",
    triggers: [{ event: "conformance/durable" }],
    retries: 2,
  },
  async ({ event, step }) => {
    const n = event.data.n;
    const record = (name) => {
      const log = process.env.CONFORMANCE_STEP_LOG;
      if (log) appendFileSync(log, `${n} ${name}\n`);
    };
    const first = await step.run("first", () => {
      record("first");
      return n + 1;
    });
    const second = await step.run("second", () => {
      record("second");
      return first * 2;
    });
    const third = await step.run("third", () => {
      record("third");
      return second + 3;
    });
    return { n, result: third };
  },
);

const loop = inngest.createFunction(
  {
    id: "conformance-loop",
    name: "Conformance: repeated step ids",
    triggers: [{ event: "conformance/loop" }],
    retries: 1,
  },
  async ({ event, step }) => {
    const rounds = Math.min(event.data.rounds, 5);
    const ticks = [];
    for (let round = 0; round < rounds; round++) {
      ticks.push(await step.run("tick", () => round * 10));
      await step.sleep("pause", "1s");
    }
    return { ticks };
  },
);

const sleep = inngest.createFunction(
  {
    id: "conformance-sleep",
    name: "Conformance: sleeps",
    triggers: [{ event: "conformance/sleep" }],
  },
  async ({ step }) => {
    await step.sleep("nap", 90 * 60 * 1000);
    await step.sleepUntil("wake up", new Date("2030-01-01T09:00:00Z"));
    const stretched = await step.run("stretch", () => "stretched");
    return { slept: true, then: stretched };
  },
);

const waitForEvent = inngest.createFunction(
  {
    id: "conformance-wait-for-event",
    name: "Conformance: wait for an event",
    triggers: [{ event: "conformance/approval.requested" }],
    retries: 0,
    concurrency: [{ limit: 1, key: "event.data.request_id" }],
  },
  async ({ event, step }) => {
    const requestId = event.data.request_id;
    const approval = await step.waitForEvent("wait for approval", {
      event: "conformance/approval.granted",
      timeout: "1h",
      if: "async.data.request_id == event.data.request_id",
    });
    const outcome = await step.run("record outcome", () =>
      approval
        ? `${approval.data.approver} approved ${approval.data.request_id}`
        : `${requestId} timed out`,
    );
    return { request_id: requestId, outcome };
  },
);

const invoke = inngest.createFunction(
  {
    id: "conformance-invoke",
    name: "Conformance: invoke another function",
    triggers: [{ event: "conformance/invoke" }],
    retries: 1,
  },
  async ({ event, step }) => {
    const greeted = await step.invoke("greet someone", {
      function: sequential,
      data: { name: event.data.name },
      timeout: "10m",
    });
    const summary = await step.run(
      "summarize",
      () => `${greeted.shout} (${greeted.length} letters)`,
    );
    return { summary };
  },
);

const parallel = inngest.createFunction(
  {
    id: "conformance-parallel",
    name: "Conformance: parallel steps",
    triggers: [{ event: "conformance/parallel" }],
    concurrency: 2,
  },
  async ({ event, step }) => {
    const [doubled, tripled] = await Promise.all([
      step.run("double", () => event.data.left * 2),
      step.run("triple", () => event.data.right * 3),
    ]);
    const sum = await step.run("add", () => doubled + tripled);
    return { doubled, tripled, sum };
  },
);

const retriableError = inngest.createFunction(
  {
    id: "conformance-retriable-error",
    name: "Conformance: retriable errors",
    triggers: [{ event: "conformance/retriable.error" }],
    retries: 2,
  },
  async ({ event, step, attempt }) => {
    const succeededOn = await step.run("flaky", () => {
      if (attempt < event.data.failures) {
        throw new Error(`flaky failure on attempt ${attempt}`);
      }
      return attempt;
    });
    if (event.data.retry_later) {
      throw new RetryAfterError("asked to retry in 30 seconds", "30s");
    }
    return { succeeded_on_attempt: succeededOn };
  },
);

const nonRetriableError = inngest.createFunction(
  {
    id: "conformance-non-retriable-error",
    name: "Conformance: non-retriable errors",
    triggers: [{ event: "conformance/non-retriable.error" }],
    retries: 3,
  },
  async ({ event, step }) => {
    const order = event.data;
    const checked = await step.run("check order", () => {
      if (order.reject_in_step) {
        throw new NonRetriableError(`order ${order.order_id} failed its check`);
      }
      return `order ${order.order_id} checked`;
    });
    if (order.reject) {
      throw new NonRetriableError(`order ${order.order_id} is rejected`);
    }
    return { order_id: order.order_id, checked };
  },
);

const fragile = inngest.createFunction(
  {
    id: "conformance-fragile",
    name: "Conformance: own failure handler",
    triggers: [{ event: "conformance/fragile" }],
    retries: 0,
    onFailure: async ({ event, step }) => {
      const failure = event.data;
      const note = await step.run(
        "sweep up",
        () => `${failure.function_id} failed: ${failure.error.message}`,
      );
      return { run_id: failure.run_id, note };
    },
  },
  async ({ event, step }) => {
    const item = event.data.item ?? "nothing";
    const packed = await step.run("pack", () => {
      if (event.data.break === true) {
        throw new NonRetriableError(`${item} broke`);
      }
      return `${item} packed`;
    });
    return { packed };
  },
);

const cancellable = inngest.createFunction(
  {
    id: "conformance-cancellable",
    name: "Conformance: cancelled by an event",
    triggers: [{ event: "conformance/job.started" }],
    retries: 1,
    cancelOn: [
      {
        event: "conformance/job.cancelled",
        if: "async.data.job_id == event.data.job_id",
        timeout: "1h",
      },
    ],
  },
  async ({ event, step }) => {
    const jobId = event.data.job_id;
    await step.sleep("cool down", "10m");
    const finished = await step.run("finish", () => `job ${jobId} finished`);
    return { job_id: jobId, finished };
  },
);

const failureHandler = inngest.createFunction(
  {
    id: "conformance-failure-handler",
    name: "Conformance: failure handler",
    triggers: [
      {
        event: "inngest/function.failed",
        if: "event.data.function_id.contains('-conformance-')",
      },
    ],
    retries: 1,
  },
  async ({ event, step }) => {
    const failure = event.data;
    const note = await step.run(
      "record failure",
      () =>
        `${failure.function_id} failed: ${failure.error.name}: ${failure.error.message}`,
    );
    return { run_id: failure.run_id, note };
  },
);

const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) {
  console.error("set PORT to the port to listen on");
  process.exit(2);
}

// The same order as our registry: failure handlers first, then by file name.
const functions = [
  failureHandler,
  cancellable,
  durable,
  fragile,
  invoke,
  loop,
  nonRetriableError,
  parallel,
  retriableError,
  sequential,
  sleep,
  waitForEvent,
];

createServer({ client: inngest, functions }).listen(port, "127.0.0.1", () => {
  console.log(`conformance peer listening on 127.0.0.1:${port}`);
});
