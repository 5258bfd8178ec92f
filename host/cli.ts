#!/usr/bin/env node
// kscope's command line: every command is registered here.
import { Command } from "commander";
import { proxyCommand } from "./commands/proxy";
import { gatewayCommand } from "./commands/gateway";
import { statCommand } from "./commands/stat";
import { topCommand } from "./commands/top";
import { edgesCommand } from "./commands/edges";
import { topologyCommand } from "./commands/topology";
import { checkCommand } from "./commands/check";
import { tapCommand } from "./commands/tap";
import { dashboardCommand } from "./commands/dashboard";
import { VERSION } from "./version";

const program = new Command("kscope")
  .description("Kafka observability for service meshes")
  .version(VERSION)
  .addCommand(proxyCommand())
  .addCommand(gatewayCommand())
  .addCommand(statCommand())
  .addCommand(topCommand())
  .addCommand(tapCommand())
  .addCommand(topologyCommand())
  .addCommand(edgesCommand())
  .addCommand(checkCommand())
  .addCommand(dashboardCommand());

program.parseAsync(process.argv).catch((err: Error) => {
  console.error(`kscope: ${err.message}`);
  process.exit(1);
});
