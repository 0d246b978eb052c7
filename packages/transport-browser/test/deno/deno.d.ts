// The one Deno global the Deno script uses, so the test tsconfig can check it without Deno's types.
declare const Deno: { readonly args: readonly string[] };
