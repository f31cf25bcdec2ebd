using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using ConfigCluster.Core.Keys;
using ConfigCluster.Server.Application;

namespace ConfigCluster.Server.Http;

/// <summary>Reads the query parameters shared by the key routes (<c>ns</c>, <c>env</c>, <c>consistency</c>, numbers).</summary>
internal static class RequestParameters
{
    public static bool TryGetPath(HttpRequest request, string key, out KeyPath path, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        if (KeyPath.TryCreate(request.Query["ns"], request.Query["env"], key, out path, out var error))
            return true;
        problem = HttpErrors.BadRequest(error);
        return false;
    }

    public static bool TryGetConsistency(HttpRequest request, out ReadConsistency consistency, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        consistency = ReadConsistency.Linearizable;
        switch (request.Query["consistency"].ToString())
        {
            case "" or "linearizable":
                return true;
            case "serializable":
                consistency = ReadConsistency.Serializable;
                return true;
            case var other:
                problem = HttpErrors.BadRequest($"consistency '{other}' is not 'linearizable' or 'serializable'");
                return false;
        }
    }

    /// <summary>Reads an optional whole-number parameter; absent gives null.</summary>
    public static bool TryGetLong(HttpRequest request, string name, long min, out long? value, [NotNullWhen(false)] out IResult? problem)
    {
        problem = null;
        value = null;
        var text = request.Query[name].ToString();
        if (text.Length == 0)
            return true;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= min)
        {
            value = parsed;
            return true;
        }

        problem = HttpErrors.BadRequest($"{name} must be a whole number of at least {min}");
        return false;
    }
}
