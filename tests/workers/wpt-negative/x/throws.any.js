throw new Error("file-level error");
