/** The real {@link CommandRunner} for trust stores: the core's one runner (core/commandRunner.ts). */
export { execFileRunner } from "../../commandRunner";
