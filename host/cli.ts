#!/usr/bin/env node
// kscope's command line: every command is registered here.
import { Command } from "commander";
import { proxyCommand } from "./commands/proxy";

const program = new Command("kscope")
  .description("Kafka observability for service meshes")
  .version(require("../../package.json").version)
  .addCommand(proxyCommand());

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`kscope: ${err.message}`);
  process.exit(1);
});
