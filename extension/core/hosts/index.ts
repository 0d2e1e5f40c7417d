/**
 * The hosts engine's public surface, for the VS Code adapter and the CLI:
 * {@link readHostsState} (mappings, conflicts, warnings), {@link planHostsEdit} (new bytes + diff to
 * confirm), {@link applyHostsPlan} (locked, re-applying, atomic write), {@link prepareElevatedCopy}
 * (when the file is not writable), {@link flushOsNameCache}.
 */
export { BEGIN_MARKER, END_MARKER, findManagedBlock, type HostMapping, type ManagedBlock } from "./block";
export { hostsBackupPaths, type HostsBackupPaths } from "./backup";
export {
  findDnsConflicts,
  findFileConflicts,
  findFileConflictsInBytes,
  systemDnsProbe,
  type DnsProbe,
  type HostsConflict,
} from "./conflicts";
export { diffLines, formatDiff, isEmptyDiff, type HostsDiff } from "./diff";
export { prepareElevatedCopy, verifyElevatedCopy, type ElevatedCopy } from "./elevate";
export { applyHostsEdit, DEFAULT_ADDRESSES, normalizeEdit, type HostsEdit, type HostsEditResult } from "./edit";
export * from "./errors";
export { flushCommands, flushOsNameCache, flushRunner, type FlushReport, type FlushRunner } from "./flush";
export {
  applyHostsPlan,
  planHostsEdit,
  planHostsEditOn,
  readHostsState,
  resolveHostsPath,
  type HostsApplyResult,
  type HostsFileOptions,
  type HostsPlan,
  type HostsState,
} from "./hostsFile";
export { parseHostsFile, type HostsEntry, type HostsLine, type ParsedHostsFile } from "./parse";
export { osHostsFilePath, switchyardDataDir } from "./paths";
export { normalizeAddress, normalizeHostname } from "./validate";
export { hostnameWarnings, mappingWarnings, type HostnameWarning } from "./warnings";
export type { WriteHooks, WriteMethod } from "./write";
