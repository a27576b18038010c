/**
 * The AWS SDK warns on every start that releases after January 2027 need Node 22. The project
 * supports Node 20 until then (Lambda itself runs nodejs22.x), so that one warning is dropped;
 * every other warning is still printed.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const printWarning = (warning: Error) => {
  if (`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning')) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
};
process.removeAllListeners('warning');
process.on('warning', printWarning);
