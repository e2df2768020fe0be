raise ImportError("this plugin needs libdoesnotexist.so")
