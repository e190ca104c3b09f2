// SigTFB module.
