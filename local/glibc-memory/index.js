// The addon node-gyp built at install (binding.gyp); requiring this module throws when it was not built.
module.exports = require('./build/Release/glibc_memory.node');
