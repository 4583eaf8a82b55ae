System.Console.WriteLine("HelloTrace");
