// @jsxRuntime automatic (tsx run from the repo root does not read the jsx setting of this package's tsconfig)
import { Box, Text } from 'ink';
import { MIN_SIZE } from './layout.js';
import type { TerminalSize } from './use-terminal-size.js';

/** Shown instead of a garbled view when the terminal is below the minimum size. */
export function TooSmall(props: { readonly size: TerminalSize; readonly height: number }) {
  const { size } = props;
  return (
    <Box flexDirection="column" width={size.columns} height={props.height}>
      <Text wrap="truncate" bold>
        terminal too small
      </Text>
      <Text wrap="truncate">{`${size.columns}×${size.rows}, need ${MIN_SIZE.columns}×${MIN_SIZE.rows}`}</Text>
      <Text wrap="truncate" dimColor>
        enlarge it, or q to quit
      </Text>
    </Box>
  );
}
