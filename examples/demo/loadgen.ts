// `loadgen`: calls web's POST /orders RATE times a second (through loadgen's own proxy).
import { env, onStop, post, status } from "./service";

const target = env("TARGET");
const rate = Number(env("RATE", "10"));
let sent = 0,
  ok = 0,
  failed = 0;
const timer = setInterval(() => {
  sent++;
  post(target, {}).then(
    (code) => {
      if (code === 201) ok++;
      else failed++;
    },
    () => failed++,
  );
}, 1000 / rate);
const report = setInterval(() => status({ sent, ok, failed }), 1000);
onStop(async () => {
  clearInterval(timer);
  clearInterval(report);
  status({ sent, ok, failed });
});
