{
  "targets": [
    {
      "target_name": "glibc_memory",
      "sources": ["glibc-memory.c"],
      "cflags": ["-Wall", "-Wextra", "-Werror"]
    }
  ]
}
