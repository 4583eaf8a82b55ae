namespace System.Runtime.CompilerServices;

// Lets records and init accessors compile on netstandard2.0.
internal static class IsExternalInit
{
}
