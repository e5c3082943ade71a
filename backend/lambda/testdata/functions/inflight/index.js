// inflight records how many invocations run at once: each one leaves a
// file in event.dir while it sleeps event.ms milliseconds, and returns how
// many files it saw (its own included).
const fs = require("fs");
const path = require("path");

exports.handler = async (event) => {
  const mine = path.join(event.dir, `${process.pid}-${Date.now()}-${Math.random()}`);
  fs.writeFileSync(mine, "");
  await new Promise((r) => setTimeout(r, Number(event.ms) / 2));
  const seen = fs.readdirSync(event.dir).length;
  await new Promise((r) => setTimeout(r, Number(event.ms) / 2));
  fs.unlinkSync(mine);
  return { seen };
};
