module.exports = "CommonJS";
