// The Switchyard view container in the real workbench, as the e2e files reach rows in its views.
import type { Locator, Page } from "playwright-core";

/**
 * Returns `row` (a row of one of Switchyard's views) once it shows, opening the Switchyard view
 * container from the activity bar first when the row is not visible.
 */
export async function revealInSwitchyardViews(page: Page, row: Locator): Promise<Locator> {
  if (!(await row.isVisible())) {
    await page
      .locator('.activitybar a[aria-label^="Switchyard"], .activitybar li[aria-label^="Switchyard"]')
      .first()
      .click();
  }
  await row.waitFor({ timeout: 30_000 });
  return row;
}
