/**
 * The local certificate authority: the public surface for the proxy, the VS Code adapter and the CLI.
 * Importing this module is cheap (node-forge loads only when a certificate is first built).
 */
export { LocalCa, type LocalCaOptions, type IssueOptions } from "./authority";
export { createCa, adoptMkcertCa, type CreateCaOptions, type CreateCaResult, type AdoptMkcertOptions } from "./create";
export { loadCa, inspectCaDir, type CaMaterial, type CaMeta, type CaDirState } from "./store";
export { resolveCaDir, leafFileBase, CA_FILES, type CaDirInputs } from "./paths";
export {
  refusalFor,
  permittedNamesFrom,
  DEFAULT_PERMITTED_NAMES,
  DEFAULT_PERMITTED_IP_RANGES,
  type PermittedNames,
} from "./constraints";
export { MAX_LEAF_VALIDITY_DAYS, type LeafWithKey, type LeafOptions } from "./leaf";
export { writeLeafPem, usageSnippets, type LeafFiles } from "./export";
export { writeFileExclusively, assertOutputFolder, assertSafeDestination } from "./exclusiveFile";
export { exportPkcs12, type Pkcs12Input } from "./pkcs12";
export { caStatus, listIssuedLeaves, type CaStatus, type LeafSummary } from "./status";
export {
  CaExistsError,
  CaFileError,
  CaIncompleteError,
  CaNotFoundError,
  CaPermissionError,
  OutputFolderError,
  UnsafeDestinationError,
  type CaFileProblem,
} from "./errors";
export { NameNotPermittedError, type IssuedLeaf, type LeafSource } from "./types";
export * from "./trust/types";
export {
  defaultTrustContext,
  trustStoresFor,
  rootCertificate,
  installRoot,
  uninstallRoot,
  trustStatus,
  nodeExtraCaCertsGuidance,
  type TrustOutcome,
} from "./trust/stores";
export { execFileRunner } from "./trust/runner";
export { checkEveryClient, anyRequiredFailure, type ClientCheck } from "./check/checkAll";
