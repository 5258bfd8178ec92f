// Child processes for integration tests: long-running ones log to a file and are killed as a
// process group; a registry kills whatever is left when the test process exits.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { waitForPort } from "./ports";

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// ---------------------------------------------------------------- cleanup registry

const cleanups = new Set<() => void>();
let hooksInstalled = false;

function runCleanups(): void {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // best effort: the process is going away
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", (code) => {
    runCleanups();
    // Logs are kept when the run failed (or KSCOPE_KEEP_LOGS=1).
    if (logDir && code === 0 && process.env.KSCOPE_KEEP_LOGS !== "1") fs.rmSync(logDir, { recursive: true, force: true });
  });
  for (const [sig, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(sig, () => {
      runCleanups();
      process.exit(code);
    });
  }
}

/**
 * Registers a synchronous cleanup run at process exit (normal exit, uncaught error, SIGINT,
 * SIGTERM, SIGHUP). Returns a function that unregisters it.
 */
export function onCleanup(fn: () => void): () => void {
  installHooks();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}

/** Sends `signal` to the process group led by `pid` (falls back to the process itself). */
export function killGroup(pid: number, signal: NodeJS.Signals = "SIGTERM"): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** A fresh directory under os.tmpdir(), e.g. /tmp/kscope-kafka-AbC123. */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kscope-${prefix}-`));
}

let logDir: string | undefined;
/** One temp dir per test process for logs of spawned processes; removed at exit code 0. */
export function logsDir(): string {
  installHooks();
  logDir ??= tempDir("logs");
  return logDir;
}

/**
 * Starts a detached shell that SIGKILLs process group `pgid` once this (node) process is gone,
 * even if it dies by SIGKILL and no exit hook runs. It exits by itself when the group is gone.
 */
export function watchGroup(pgid: number): void {
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 -- "-$2" 2>/dev/null; do sleep 1; done; ' +
    'kill -0 "$1" 2>/dev/null || kill -KILL -- "-$2" 2>/dev/null; exit 0';
  const w = spawn("bash", ["-c", script, "kscope-watchdog", String(process.pid), String(pgid)], {
    stdio: "ignore",
    detached: true,
  });
  w.on("error", () => {
    // no bash: the exit hooks still cover normal exits
  });
  w.unref();
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- long-running processes

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout+stderr go here (appended). Default: logsDir()/NAME-N.log. */
  logFile?: string;
  /** 'pipe' exposes proc.child.stdin. Default 'ignore'. */
  stdin?: "ignore" | "pipe";
  /** Let the test process exit while this child still runs (it is killed by the registry). */
  unref?: boolean;
  /** Also kill the group if the test process dies by SIGKILL (see watchGroup). Default true. */
  watchdog?: boolean;
}

const live = new Set<Proc>();
let procCount = 0;

export class Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<ExitInfo>;
  exitInfo: ExitInfo | undefined;
  private readonly unregister: () => void;

  constructor(
    readonly name: string,
    readonly cmd: string,
    readonly args: readonly string[],
    opts: SpawnOptions = {},
  ) {
    const safe = name.replace(/[^\w.-]/g, "_");
    this.logFile = opts.logFile ?? path.join(logsDir(), `${safe}-${++procCount}.log`);
    const fd = fs.openSync(this.logFile, "a");
    try {
      this.child = spawn(cmd, [...args], {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [opts.stdin ?? "ignore", fd, fd],
        detached: true, // own process group, so kill() reaches grandchildren
      });
    } finally {
      fs.closeSync(fd);
    }
    const spawnError = new Promise<ExitInfo>((resolve) =>
      this.child.once("error", (err) => {
        fs.appendFileSync(this.logFile, `\n[procs] spawn ${cmd} failed: ${err.message}\n`);
        resolve({ code: -1, signal: null });
      }),
    );
    const exit = new Promise<ExitInfo>((resolve) => this.child.once("exit", (code, signal) => resolve({ code, signal })));
    this.exited = Promise.race([exit, spawnError]).then((info) => {
      this.exitInfo = info;
      live.delete(this);
      this.unregister();
      return info;
    });
    this.pid = this.child.pid ?? -1;
    live.add(this);
    this.unregister = onCleanup(() => {
      if (this.running) killGroup(this.pid, "SIGKILL");
    });
    if (this.pid > 0 && (opts.watchdog ?? true)) watchGroup(this.pid);
    if (opts.unref) this.child.unref();
  }

  get running(): boolean {
    return this.exitInfo === undefined && this.pid > 0;
  }

  /** The whole log so far. */
  log(): string {
    try {
      return fs.readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }

  /** Last `lines` lines of the log, for error messages. */
  tail(lines = 30): string {
    return this.log().split("\n").slice(-lines).join("\n");
  }

  /** Resolves with the first match of `pattern` in the log; rejects on timeout or exit. */
  async waitForLog(pattern: RegExp | string, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const re = typeof pattern === "string" ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : pattern;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.log().match(re);
      if (m) return m;
      if (!this.running) throw new Error(`${this.name} exited (${JSON.stringify(this.exitInfo)}) before logging ${re}:\n${this.tail()}`);
      if (Date.now() >= deadline)
        throw new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${re} in ${this.logFile}:\n${this.tail()}`);
      await sleep(100);
    }
  }

  /** Resolves once 127.0.0.1:port (or host:port) accepts connections; rejects on timeout or exit. */
  async waitForPort(port: number, timeoutMs = 30_000, host = "127.0.0.1"): Promise<void> {
    try {
      await waitForPort(port, { host, timeoutMs, isAlive: () => this.running });
    } catch (err) {
      throw new Error(`${this.name}: ${(err as Error).message}\n${this.tail()}`, { cause: err });
    }
  }

  /** Signals the process group, waits up to `graceMs`, then SIGKILLs it. Idempotent. */
  async kill(signal: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    killGroup(this.pid, signal);
    const timer = setTimeout(() => killGroup(this.pid, "SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Starts `cmd args` in its own process group with output to a log file (see SpawnOptions). */
export function spawnProc(name: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): Proc {
  return new Proc(name, cmd, args, opts);
}

/** Kills every process started by spawnProc that is still running. */
export async function killAll(signal: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((p) => p.kill(signal, graceMs)));
}

// ---------------------------------------------------------------- run to completion

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Kill the process group after this long (default 60 s); the result then has timedOut=true. */
  timeoutMs?: number;
  /** Reject unless the exit code is 0 (default false). */
  check?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
  stderrBytes: Buffer;
}

/** Runs a command to completion, capturing stdout/stderr (as bytes and utf8). */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const { timeoutMs = 60_000 } = opts;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: true,
    });
    const pid = child.pid;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    let timedOut = false;
    const unregister = onCleanup(() => {
      if (pid !== undefined) killGroup(pid, "SIGKILL");
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid, "SIGKILL");
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      unregister();
      reject(new Error(`${cmd}: ${e.message}`));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      unregister();
      const stdoutBytes = Buffer.concat(out);
      const stderrBytes = Buffer.concat(err);
      const result: RunResult = {
        code,
        signal,
        timedOut,
        stdout: stdoutBytes.toString("utf8"),
        stderr: stderrBytes.toString("utf8"),
        stdoutBytes,
        stderrBytes,
      };
      if (opts.check && code !== 0) {
        const why = timedOut ? `timed out after ${timeoutMs} ms` : `exited with ${code ?? signal}`;
        reject(new Error(`${cmd} ${args.join(" ")} ${why}\n${result.stderr.slice(-4000)}`));
      } else {
        resolve(result);
      }
    });
    if (opts.input !== undefined) {
      child.stdin!.on("error", () => {
        // EPIPE when the child exits without reading everything; the exit code tells the story
      });
      child.stdin!.end(opts.input);
    }
  });
}
