/*
 * The one call into glibc that the offline runtime needs and Node.js does not offer:
 * malloc_trim(0), which gives back to the OS the pages of memory that malloc keeps free, inside
 * every arena and not only at the top of the main heap (free() alone never returns those).
 *
 * Built by node-gyp when `npm ci` installs this optional dependency; where it cannot be built (no
 * C compiler, or a C library other than glibc), npm goes on without it and the runtime keeps
 * glibc's free memory, as any Node.js process does.
 */
#include <malloc.h>
#include <node_api.h>

#ifndef __GLIBC__
#error "glibc-memory calls glibc's malloc_trim; this C library is not glibc"
#endif

/* returnFreedMemory(): true when glibc gave memory back to the OS, false when it had none to give. */
static napi_value ReturnFreedMemory(napi_env env, napi_callback_info info) {
  (void) info;
  napi_value released;
  if (napi_get_boolean(env, malloc_trim(0) != 0, &released) != napi_ok) return NULL;
  return released;
}

NAPI_MODULE_INIT() {
  napi_value function;
  if (napi_create_function(env, "returnFreedMemory", NAPI_AUTO_LENGTH, ReturnFreedMemory, NULL, &function) !=
          napi_ok ||
      napi_set_named_property(env, exports, "returnFreedMemory", function) != napi_ok)
    return NULL;
  return exports;
}
