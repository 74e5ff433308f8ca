/**
 * glibc's malloc_trim(0): gives the pages of memory that malloc keeps free, in every arena, back to
 * the OS. True when some memory was given back.
 */
export function returnFreedMemory(): boolean;
