/**
 * The prompts of Switchyard's multi-step commands (Add Route, Edit Route, Add Host Mapping): one
 * title per command ("Add Route"), VS Code's step count beside it ("Add Route (1/3)"), and what is
 * wrong with a value said inside the input as the user types, an empty value included, instead of
 * an error after Enter. Esc cancels (undefined).
 *
 * They keep ignoreFocusOut: a redraw of the walkthrough or a notification taking focus closed the
 * prompt half-way through (seen on CI).
 */
import * as vscode from "vscode";

/** Where a prompt sits in its command: the command's title and the step. */
export interface Step {
  title: string;
  step: number;
  totalSteps: number;
}

/** Asks for text; `validate` says what is wrong (undefined when the value is fine), also for "". */
export function askText(
  options: Step & {
    value?: string;
    prompt: string;
    placeholder?: string;
    validate: (value: string) => string | undefined;
  },
): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = options.title;
  box.step = options.step;
  box.totalSteps = options.totalSteps;
  box.value = options.value ?? "";
  box.prompt = options.prompt;
  box.placeholder = options.placeholder;
  box.ignoreFocusOut = true;
  // An empty box is not scolded before the user did anything; a prefilled one is checked at once.
  if (box.value) box.validationMessage = options.validate(box.value);
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(value);
      box.hide();
      box.dispose();
    };
    box.onDidChangeValue((v) => (box.validationMessage = options.validate(v)));
    box.onDidAccept(() => {
      const problem = options.validate(box.value);
      if (problem) box.validationMessage = problem;
      else finish(box.value.trim());
    });
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}

/** An item of {@link askPick}; separators group the items. */
export type PickItem<T> = vscode.QuickPickItem & { value?: T };

/**
 * Asks to pick one item. The first non-separator item is the active one unless `active` says
 * otherwise, so put the item the user most likely wants (or a neutral one) first.
 */
export function askPick<T>(
  options: Step & { items: PickItem<T>[]; placeholder: string; matchOnDetail?: boolean },
): Promise<PickItem<T> | undefined> {
  const pick = vscode.window.createQuickPick<PickItem<T>>();
  pick.title = options.title;
  pick.step = options.step;
  pick.totalSteps = options.totalSteps;
  pick.placeholder = options.placeholder;
  pick.items = options.items;
  pick.ignoreFocusOut = true;
  pick.matchOnDescription = true;
  pick.matchOnDetail = options.matchOnDetail ?? true;
  return new Promise((resolve) => {
    let done = false;
    const finish = (item: PickItem<T> | undefined): void => {
      if (done) return;
      done = true;
      resolve(item);
      pick.hide();
      pick.dispose();
    };
    pick.onDidAccept(() => finish(pick.selectedItems[0] ?? pick.activeItems[0]));
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}
