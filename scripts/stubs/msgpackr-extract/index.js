// msgpackr requires this inside try/catch and falls back to its JavaScript path when it throws.
throw new Error('msgpackr-extract (native) is not installed; msgpackr uses its JavaScript decoder');
