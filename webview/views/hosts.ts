/**
 * Hosts: the mappings inside Switchyard's managed block of the hosts file, a form to add one, and
 * the lines outside the block that conflict with them.
 */
import { badge, button, emptyState, h, mono, section, table } from "../dom";
import type { FixAction, HostsFileView } from "../protocol";

export interface HostsActions {
  onAction(action: FixAction): void;
  onAdd(name: string, addresses: string[]): void;
  onRemove(name: string): void;
}

const NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const ADDRESS = /^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9a-f:.]*:[0-9a-f:.]*)$/i;

export class HostsView {
  readonly element: HTMLElement;
  private readonly content = h("div", { class: "view-content" });
  private readonly conflicts = h("div", { class: "view-content" });
  private readonly formError = h("p", { class: "form-error", role: "alert", "data-testid": "mapping-error" });

  constructor(private readonly actions: HostsActions) {
    const name = h("input", {
      class: "input",
      placeholder: "my-awesome-service.test",
      "aria-label": "Host name",
      "data-testid": "mapping-name",
      spellcheck: "false",
    });
    const addrs = h("input", {
      class: "input",
      placeholder: "127.0.0.1, ::1",
      "aria-label": "Addresses, comma separated",
      "data-testid": "mapping-addresses",
      spellcheck: "false",
    });
    addrs.value = "127.0.0.1, ::1";
    const form = h(
      "form",
      { class: "mapping-form", "data-testid": "mapping-form" },
      h("label", { class: "field" }, h("span", { class: "field-label" }, "Name"), name),
      h("label", { class: "field" }, h("span", { class: "field-label" }, "Addresses"), addrs),
      h("button", { type: "submit", class: "btn", "data-testid": "mapping-add" }, "Add mapping"),
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const host = name.value.trim().toLowerCase();
      const list = addrs.value.split(/[\s,]+/).filter(Boolean);
      const problem = !NAME.test(host)
        ? `“${host || " "}” is not a valid host name.`
        : list.length === 0
          ? "Give at least one address, e.g. 127.0.0.1."
          : list.find((a) => !ADDRESS.test(a))
            ? `“${list.find((a) => !ADDRESS.test(a))}” is not an IP address.`
            : "";
      this.formError.textContent = problem;
      name.classList.toggle("invalid", problem.includes("host name"));
      addrs.classList.toggle("invalid", problem !== "" && !problem.includes("host name"));
      if (problem) return;
      this.actions.onAdd(host, list);
      name.value = "";
    });
    const add = section("Add a mapping", "mapping-add-section", form, this.formError);
    this.element = h("div", { class: "view" }, this.content, add, this.conflicts);
  }

  update(hosts: HostsFileView | undefined): void {
    if (!hosts) {
      this.content.replaceChildren(
        emptyState("Loading the hosts file…", "The extension has not reported the hosts file yet."),
      );
      this.conflicts.replaceChildren();
      return;
    }
    const mappings = table(
      ["Name", "Addresses", ""],
      hosts.mappings.map((m) => [
        mono(m.name),
        h("span", { class: "chips" }, ...m.addresses.map((a) => h("span", { class: "chip" }, a))),
        button(
          "Remove",
          () => this.actions.onRemove(m.name),
          { "data-testid": "mapping-remove", "data-name": m.name, "aria-label": `Remove ${m.name}` },
          true,
        ),
      ]),
      "No managed mappings. Add one below, or run Switchyard: Sync Hosts with Settings to add every name in switchyard.hosts.mappings.",
      "mappings-table",
    );
    const conflicts = hosts.conflicts.map((c) =>
      h(
        "div",
        { class: "callout callout-warn", "data-testid": "hosts-conflict" },
        h("p", {}, mono(c.name), " ", c.message),
      ),
    );
    const warnings = hosts.warnings.map((w) =>
      h("div", { class: "callout callout-warn", "data-testid": "hosts-warning" }, h("p", {}, w)),
    );
    this.content.replaceChildren(
      hosts.error ? h("div", { class: "callout callout-error", role: "alert" }, hosts.error) : "",
      section(
        "Managed mappings",
        "mappings",
        h(
          "p",
          { class: "section-help" },
          "Lines between Switchyard's markers in ",
          mono(hosts.file || "the hosts file"),
          ". Nothing outside the block is touched.",
        ),
        mappings,
        h(
          "div",
          { class: "section-actions" },
          button("Sync with settings", () => this.actions.onAction("syncHosts"), { "data-testid": "hosts-sync" }, true),
        ),
      ),
    );
    this.conflicts.replaceChildren(
      section(
        `Conflicts and warnings`,
        "hosts-conflicts",
        conflicts.length || warnings.length
          ? h("div", {}, ...conflicts, ...warnings)
          : h(
              "p",
              { class: "muted" },
              badge("none", "ok"),
              " No line outside the block disagrees with a managed mapping.",
            ),
      ),
    );
  }
}
