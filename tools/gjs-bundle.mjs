// The esbuild options every GJS bundle shares (the extension, the GJS-side tests, the benchmarks): ES
// modules with GJS's own modules left as imports — GI typelibs, the shell's resources and GJS's
// built-in modules are there at run time and must never be bundled.

/** @param {string} target the SpiderMonkey the bundle runs on, as esbuild's firefox version */
export function gjsBundleOptions(target) {
    return {
        bundle: true,
        format: /** @type {const} */ ('esm'),
        platform: /** @type {const} */ ('neutral'),
        target,
        external: ['gi://*', 'resource://*', 'system', 'gettext', 'cairo'],
        logLevel: /** @type {const} */ ('warning'),
    };
}
