import { Theme } from "../../gen/platform/user/v1/preferences_service_pb.js";

/** applyTheme shows the console in the user's chosen colour scheme; THEME_SYSTEM (or none) follows the browser's. */
export function applyTheme(theme: Theme | undefined): void {
  const root = document.documentElement;
  if (theme === Theme.LIGHT) root.dataset.theme = "light";
  else if (theme === Theme.DARK) root.dataset.theme = "dark";
  else delete root.dataset.theme;
}
