import { createContext } from 'react';

/**
 * Colours on or off. NO_COLOR (https://no-color.org) turns them off; glyphs, bold, inverse and
 * dim stay, so nothing is lost but hue.
 */
export interface Theme {
  readonly color: boolean;
}

export const ThemeContext = createContext<Theme>({ color: true });
