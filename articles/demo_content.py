"""Original demo content for seed_demo: a fictional town, its people and its news."""

SECTIONS = [
    {
        "name": "News",
        "slug": "news",
        "description": "Breaking news, courts and council decisions from Kingsmere and across Wendshire.",
        "order": 1,
    },
    {
        "name": "Business",
        "slug": "business",
        "description": "Jobs, companies, farming and the high street across the Wend valley.",
        "order": 2,
    },
    {
        "name": "Environment",
        "slug": "environment",
        "description": "The River Wend, flooding, wildlife, energy and the Wendshire countryside.",
        "order": 3,
    },
    {
        "name": "Culture",
        "slug": "culture",
        "description": "Theatre, music, festivals and heritage in Kingsmere and the wider county.",
        "order": 4,
    },
]

AUTHORS = [
    {
        "name": "Helen Marsh",
        "slug": "helen-marsh",
        "job_title": "Chief reporter",
        "bio": (
            "Helen Marsh has reported on Kingsmere and the Wend valley for more than twenty years, covering courts, "
            "councils and three major floods. She grew up in Brackwater and joined the Courier from the Wendmouth "
            "Gazette."
        ),
    },
    {
        "name": "Tom Okafor",
        "slug": "tom-okafor",
        "job_title": "Business reporter",
        "bio": (
            "Tom Okafor covers business, jobs and the local economy across Wendshire, from the high street to the "
            "harbour. Before joining the Courier he spent six years reporting on agriculture for a farming weekly."
        ),
    },
    {
        "name": "Priya Raman",
        "slug": "priya-raman",
        "job_title": "Environment correspondent",
        "bio": (
            "Priya Raman writes about the River Wend, farming, energy and wildlife for the Courier. She studied "
            "environmental science and worked as a water quality researcher before moving into journalism."
        ),
    },
    {
        "name": "Gareth Lloyd",
        "slug": "gareth-lloyd",
        "job_title": "Arts editor",
        "bio": (
            "Gareth Lloyd reviews theatre, music and exhibitions across Wendshire and edits the Courier's weekend "
            "culture pages. He has judged the county's amateur drama awards for a decade."
        ),
    },
    {
        "name": "Sian Whitlock",
        "slug": "sian-whitlock",
        "job_title": "Local democracy reporter",
        "bio": (
            "Sian Whitlock reports on Wendshire County Council and Kingsmere Town Council, attending planning, cabinet "
            "and scrutiny meetings. She leads the Courier's coverage of public spending and local services."
        ),
    },
]

IMAGES = [
    {
        "key": "wendmouth-quay",
        "scene": "harbour",
        "alt_text": (
            "Small fishing boats moored against a stone quay, with stacked lobster pots and a harbour wall behind."
        ),
        "caption": "Fishing boats moored at Wendmouth's east quay, where a new ice plant and market hall are planned.",
        "credit": "Martin Pell/Courier",
    },
    {
        "key": "cresthill-ridge",
        "scene": "hills",
        "alt_text": (
            "Rolling green hills under a grey sky, with hedgerows dividing the fields and a limestone outcrop on the "
            "ridge."
        ),
        "caption": "Cresthill Ridge rises above the Wend valley to the south of Kingsmere.",
        "credit": "Claire Dunmore/Courier",
    },
    {
        "key": "kingsmere-rooftops",
        "scene": "town",
        "alt_text": (
            "Rooftops of a small market town, with a square church tower and rows of terraced houses, seen from a "
            "hillside."
        ),
        "caption": "Kingsmere seen from Abbey Hill, with the tower of St Botolph's church at its centre.",
        "credit": "Martin Pell/Courier",
    },
    {
        "key": "brackwater-meadows",
        "scene": "field",
        "alt_text": "Black and white dairy cows grazing in a flat green meadow beside a line of willow trees.",
        "caption": "Dairy cattle grazing on Brackwater Meadows, three miles upstream of Kingsmere.",
        "credit": "Claire Dunmore/Courier",
    },
    {
        "key": "wend-riverbank",
        "scene": "river",
        "alt_text": (
            "A slow, wide river curving between grassy banks and overhanging willows, with a footpath along one side."
        ),
        "caption": "The River Wend above the town, where thousands of trees have been planted along the banks.",
        "credit": "Wend Rivers Trust",
    },
    {
        "key": "corn-exchange-stage",
        "scene": "stage",
        "alt_text": (
            "Actors on a dimly lit theatre stage with a tilted wooden platform, and a seated audience in the "
            "foreground."
        ),
        "caption": "The restored Corn Exchange, which reopened as a 340-seat theatre three years ago.",
        "credit": "Wendshire Players",
    },
    {
        "key": "saturday-market",
        "scene": "market",
        "alt_text": (
            "Market stalls with striped awnings selling fruit, vegetables and cheese in a busy cobbled town square."
        ),
        "caption": "Stallholders on Kingsmere's Saturday market in Market Square.",
        "credit": "Martin Pell/Courier",
    },
    {
        "key": "abbey-bridge",
        "scene": "bridge",
        "alt_text": (
            "A five-arched stone road bridge crossing a river, with cars queuing on it and houses on the far bank."
        ),
        "caption": "Abbey Bridge was built in 1789 to replace a medieval timber crossing owned by the abbey.",
        "credit": "Wendshire County Council",
    },
    {
        "key": "harrow-turbines",
        "scene": "wind",
        "alt_text": (
            "Six white wind turbines standing on a grassy hilltop above patchwork farmland under a pale blue sky."
        ),
        "caption": (
            "The six turbines of Harrow Down, owned by a community co-operative, can be seen from across Kingsmere."
        ),
        "credit": "Harrow Down Community Energy",
    },
    {
        "key": "high-street-night",
        "scene": "night",
        "alt_text": "A narrow shopping street at night, lit by street lamps, with several shopfronts dark and empty.",
        "caption": "Sheepgate at night, where eight of the street's 27 shop units are now empty.",
        "credit": "Claire Dunmore/Courier",
    },
]

ARTICLES = [
    {
        "slug": "abbey-bridge-closure",
        "kicker": "Exclusive",
        "headline": "Abbey Bridge to close for eight months after engineers find cracks in Georgian arches",
        "standfirst": (
            "Wendshire County Council will shut Kingsmere's main river crossing to traffic from next month, adding up "
            "to five miles to some journeys while £3.2m of repairs are carried out."
        ),
        "section": "news",
        "authors": ["sian-whitlock", "helen-marsh"],
        "tags": ["transport", "heritage", "town council", "river wend"],
        "lead_image": "abbey-bridge",
        "lead_image_caption": "Abbey Bridge carries around 11,400 vehicles a day across the River Wend.",
        "hours_ago": 1,
        "paragraphs": [
            "Abbey Bridge, the listed Georgian crossing that carries the main road from Market Square to Kingsmere "
            "railway station, will close to vehicles for up to eight months after a routine inspection found cracking "
            "in two of its five stone arches, the Courier can reveal.",
            "An engineers' report seen by this newspaper describes the damage to the central arches as serious but "
            "not immediately dangerous. It recommends that the bridge, which carries around 11,400 vehicles a day, is "
            "closed to all traffic while the masonry is stitched, repointed and strengthened with steel ties. "
            "Pedestrians and cyclists will be able to use a protected walkway for most of the works.",
            "Wendshire County Council, which is responsible for the structure, expects the repairs to cost £3.2m. The "
            "money will come from its highways maintenance budget, which means several smaller resurfacing schemes "
            "planned elsewhere in the county will be pushed back to the next financial year. The closure is due to "
            "begin on the first Monday of next month.",
            "The official diversion sends traffic north to the Fennick Road bridge, adding up to five miles to some "
            "journeys. Businesses on the east bank, including the retail park at Hollin Cross, fear that shoppers "
            "will simply stay away. Kingsmere's two main doctors' surgeries are on opposite sides of the river, and "
            "patients without cars have been told to allow extra time.",
            "Built in 1789 to replace a medieval timber crossing owned by the abbey, the bridge has survived three "
            "major floods. Engineers believe decades of heavy lorry traffic and repeated scouring of the riverbed "
            "around its piers have combined to loosen the foundations beneath the central span, allowing the arches "
            "above to move.",
            "Town councillors, who were briefed in private on Tuesday evening, have asked the county to phase the "
            "work so that one lane can reopen before the Charter Fair in the summer. The county says it will consider "
            "the request but warns that splitting the contract could add months to the programme and more than "
            "£400,000 to the bill.",
            "A public drop-in session on the closure will be held at the Corn Exchange next Thursday between 2pm and "
            "7pm, where engineers will explain the work and answer questions about the diversion routes. Residents "
            "who cannot attend can submit questions online until the end of the month.",
        ],
        "quotes": [
            {
                "text": (
                    "Nobody wants to close the town's main bridge, but the engineers have been clear. If we carry on "
                    "as we are, we risk losing a structure that has stood for more than two centuries."
                ),
                "speaker_name": "Rajesh Bhatt",
                "speaker_role": "Cabinet member for highways and transport, Wendshire County Council",
                "position": 2,
            },
            {
                "text": (
                    "Kingsmere is a town split in two by its river. Eight months without Abbey Bridge will hurt "
                    "traders, carers and commuters, and we expect the county to keep us informed every week."
                ),
                "speaker_name": "Margaret Ashdown",
                "speaker_role": "Leader of Kingsmere Town Council",
                "position": 4,
            },
        ],
        "figures": [
            {
                "image": "kingsmere-rooftops",
                "caption": "The bridge links Market Square with the railway station and the east bank.",
                "position": 5,
            },
        ],
        "related": ["evening-bus-cuts", "wend-flood-scheme"],
        "corrections": [
            "An earlier version of this article said the bridge would close for six months. The council's notice "
            "gives eight months, and the headline has been changed to match."
        ],
        "status": "published",
    },
    {
        "slug": "wend-flood-scheme",
        "kicker": "",
        "headline": "£14m flood defence plan for Kingsmere riverside goes out to public consultation",
        "standfirst": (
            "New walls, raised embankments and a storage basin upstream at Brackwater Meadows are proposed to protect "
            "620 homes and businesses along the River Wend."
        ),
        "section": "environment",
        "authors": ["priya-raman"],
        "tags": ["flooding", "river wend", "housing", "farming"],
        "lead_image": "wend-riverbank",
        "lead_image_caption": "",
        "hours_ago": 9,
        "top_story": True,
        "paragraphs": [
            "Residents of Kingsmere's riverside streets are being asked for their views on a £14m scheme to reduce "
            "the risk of flooding from the River Wend, the largest investment in the town's defences for more than "
            "half a century. The consultation runs for eight weeks.",
            "The proposals, drawn up by Wendshire County Council with the Wend Rivers Trust, would combine new "
            "glass-topped walls along Quay Street and Mill Lane with raised earth embankments on the meadows below "
            "Abbey Bridge. Together they are designed to protect around 620 homes and businesses against a flood "
            "expected, on average, once in a hundred years.",
            "The most ambitious element lies three miles upstream at Brackwater Meadows, where farmland would be "
            "reshaped to hold back up to 900,000 cubic metres of water during heavy rain. The land would remain in "
            "agricultural use for most of the year, with landowners compensated for the occasional loss of grazing "
            "and crops.",
            "Kingsmere has flooded seriously four times in the past quarter of a century. In the worst event, 212 "
            "properties were flooded and the town centre was cut off for two days. Insurers have since raised "
            "premiums sharply in the lowest-lying streets, and some residents say they struggle to sell homes that "
            "have been flooded more than once.",
            "About £9m of the cost is expected to come from national flood defence grants, with the remainder still "
            "to be found. The county has asked Kingsmere Town Council and local businesses to contribute, and "
            "officers say that without further local funding the upstream storage basin could be delayed or dropped "
            "altogether.",
            "Not everyone is convinced. Some riverside residents say the walls will block views that have defined the "
            "town for generations, while the Kingsmere Civic Society wants the design to reflect the brick and stone "
            "of the historic quayside. Farmers near Brackwater have asked for firm guarantees about compensation "
            "before they will support the scheme.",
            "Consultation documents are available at the library and online, and exhibitions will be held at the Corn "
            "Exchange on Saturday and at Brackwater village hall the following week. If the scheme is approved, "
            "construction could start within two years and would take around eighteen months to complete.",
        ],
        "quotes": [
            {
                "text": (
                    "We can't stop the Wend from rising, but we can give it somewhere safe to go. Holding water back "
                    "upstream means the walls in town can be lower and far less intrusive."
                ),
                "speaker_name": "Lucy Brennan",
                "speaker_role": "Flood risk manager, Wendshire County Council",
                "position": 3,
            },
            {
                "text": (
                    "Storing floodwater on the meadows is good for people and for wildlife. The river used to spread "
                    "out across that land every winter, and we're simply giving some of that space back."
                ),
                "speaker_name": "Owen Fairley",
                "speaker_role": "Director of the Wend Rivers Trust",
                "position": 5,
            },
        ],
        "figures": [
            {
                "image": "brackwater-meadows",
                "caption": "Farmland at Brackwater Meadows would be reshaped to store floodwater after heavy rain.",
                "position": 2,
            },
        ],
        # Links on a line of their own become embeds. Stored here as a worker would have resolved them, so the
        # facades show with no network (the titles and pictures are ours; nothing is asked of the providers).
        "embeds": [
            {
                "after": 2,
                "url": "https://www.youtube.com/watch?v=Wd7fLdm0Kx4",
                "provider": "youtube",
                "kind": "video",
                "title": "From the air: where Brackwater Meadows would hold back the Wend",
                "author_name": "Kingsmere Courier",
                "scene": "river",
                "frame_url": "https://www.youtube-nocookie.com/embed/Wd7fLdm0Kx4",
                "width": 640,
                "height": 360,
            },
            {
                "after": 3,
                "url": "https://datawrapper.dwcdn.net/KcF1d/1/",
                "provider": "datawrapper",
                "kind": "rich",
                "title": "Properties flooded in Kingsmere in each serious flood since 2000",
                "author_name": "Kingsmere Courier data desk",
                "scene": "town",
                "frame_url": "https://datawrapper.dwcdn.net/KcF1d/1/",
                "width": 600,
                "height": 400,
            },
            {
                "after": 6,
                "url": "https://www.openstreetmap.org/#map=16/52.20410/0.11880",
                "provider": "openstreetmap",
                "kind": "rich",
                "title": "Quay Street and Mill Lane, where the new walls would stand",
                "author_name": "",
                "scene": None,
                "frame_url": (
                    "https://www.openstreetmap.org/export/embed.html?bbox=0.10781%2C52.19861%2C0.12979%2C52.20959"
                    "&layer=mapnik&marker=52.20410%2C0.11880"
                ),
                "width": None,
                "height": None,
            },
        ],
        "related": ["abbey-bridge-closure", "otters-return-upper-wend"],
        "status": "published",
    },
    {
        "slug": "tannery-yard-homes",
        "kicker": "",
        "headline": "Tannery Yard plan for 240 homes approved despite objections over parking and flood risk",
        "standfirst": (
            "Councillors voted seven to four in favour of redeveloping the derelict riverside site after the developer "
            "agreed that 30 per cent of the homes would be affordable."
        ),
        "section": "news",
        "authors": ["sian-whitlock"],
        "tags": ["housing", "town council", "river wend", "flooding"],
        "lead_image": "kingsmere-rooftops",
        "lead_image_caption": "The Tannery Yard site has stood empty for almost twenty years.",
        "hours_ago": 20,
        "paragraphs": [
            "Plans to build 240 homes on the derelict Tannery Yard site beside the River Wend have been approved by "
            "Wendshire County Council's planning committee, ending almost two decades of argument over one of "
            "Kingsmere's most prominent eyesores. The decision came after a four-hour meeting on Wednesday.",
            "The scheme by Wendbrook Homes includes flats and terraced houses of up to five storeys, a small square "
            "facing the river, ground-floor space for shops or cafés and a new footpath linking Sheepgate with the "
            "towpath. Seventy-two of the homes will be offered for social rent or shared ownership, the equivalent of "
            "30 per cent of the total.",
            "The leather works that gave the site its name closed in 2006 with the loss of 140 jobs. Since then two "
            "planning applications have been withdrawn, and the empty buildings have suffered repeated break-ins and "
            "fires. The land has been contaminated by more than a century of tanning and will need extensive clean-up "
            "before building can begin.",
            "Objectors, led by the Tannery Lane Residents' Association, argued that only 160 parking spaces would be "
            "provided for 240 homes and that surrounding streets were already full in the evenings. Others questioned "
            "whether new homes should be built on land next to the river at all, given the town's recent history of "
            "flooding.",
            "The developer told the committee that floor levels would be raised more than a metre above the highest "
            "recorded flood, with car parking on the ground floor and no bedrooms at street level. It has also agreed "
            "to pay £1.1m towards local schools, health services and improvements to the riverside path.",
            "Conditions attached to the permission include a construction management plan limiting lorry movements "
            "during school drop-off and pick-up times, and a requirement to record the surviving tannery buildings, "
            "some of which date from the 1840s, before any demolition takes place.",
            "Wendbrook Homes says work on clearing the site is expected to start next spring, with the first "
            "residents moving in about two years later. The full scheme is due to be completed in four phases by the "
            "end of the decade.",
        ],
        "quotes": [
            {
                "text": (
                    "Tannery Yard has been a scar on the riverside for far too long. This scheme isn't perfect, but it "
                    "brings homes that local families can actually afford."
                ),
                "speaker_name": "Margaret Ashdown",
                "speaker_role": "Leader of Kingsmere Town Council",
                "position": 2,
            },
            {
                "text": (
                    "We're not against new homes. We're against cramming 240 of them onto a flood plain with nowhere "
                    "near enough parking and then pretending the problem will go away."
                ),
                "speaker_name": "Derek Nuttall",
                "speaker_role": "Chair of Tannery Lane Residents' Association",
                "position": 4,
            },
        ],
        "figures": [
            {
                "image": "wend-riverbank",
                "caption": "A new footpath would link Sheepgate with the towpath along the Wend.",
                "position": 5,
            },
        ],
        "related": ["wend-flood-scheme", "school-places-squeeze"],
        "status": "published",
    },
    {
        "slug": "creamery-expansion-jobs",
        "kicker": "",
        "headline": "Wend Valley Creamery to create 85 jobs with £22m expansion of its Kingsmere dairy",
        "standfirst": (
            "The family-owned cheesemaker will build a second production hall and a maturing store at its Fennick Road "
            "site, doubling the amount of milk it buys from Wendshire farms."
        ),
        "section": "business",
        "authors": ["tom-okafor"],
        "tags": ["jobs", "farming", "東京"],
        "lead_image": "brackwater-meadows",
        "lead_image_caption": "The creamery buys milk from 48 farms within 30 miles of Kingsmere.",
        "hours_ago": 33,
        "paragraphs": [
            "Wend Valley Creamery, one of Kingsmere's largest private employers, is to create 85 jobs as part of a "
            "£22m expansion of its dairy on Fennick Road. The investment will take the company's workforce past 300 "
            "for the first time in its 94-year history.",
            "The family-owned business, best known for its crumbly Wendshire Blue and its cloth-bound cheddar, will "
            "build a second production hall, a temperature-controlled maturing store capable of holding 4,000 tonnes "
            "of cheese, and a new visitor shop. Planning permission was granted last year, and construction is due to "
            "begin in the autumn.",
            "Exports have grown fastest. A department store group in Tokyo has stocked Wendshire Blue since a "
            "trade visit two years ago, and the new maturing store is partly meant to keep up with orders from "
            "Japan, which now take a tenth of everything the dairy makes.",
            "The new jobs will include cheesemakers, engineers, laboratory technicians and warehouse staff. The "
            "company says most roles will pay above the Wendshire average and that it will offer twelve "
            "apprenticeships a year in partnership with Wendshire College, which is developing a food technology "
            "course to support the expansion.",
            "The expansion will also be felt on the county's farms. The creamery currently buys around 60 million "
            "litres of milk a year from 48 farms within 30 miles of Kingsmere, and expects to double that over the "
            "next five years. Dairy farmers have endured volatile milk prices, and many have left the industry in the "
            "last decade.",
            "Sales have grown by more than a third in three years, driven by supermarket listings and a rising export "
            "trade. Wendshire Blue is now sold in eleven countries, and the company says demand from restaurants in "
            "northern Europe has outstripped supply for two years running.",
            "Residents living near the Fennick Road site have raised concerns about extra milk tankers on narrow "
            "lanes. The company has agreed to fund a new access road from the ring road, which will be built before "
            "the production hall opens, and to limit deliveries between 10pm and 6am.",
        ],
        "quotes": [
            {
                "text": (
                    "My great-grandfather started making cheese in a barn half a mile from here. We've had offers to "
                    "move, but our milk, our people and our name all belong to Kingsmere."
                ),
                "speaker_name": "Fiona Caldwell",
                "speaker_role": "Managing director, Wend Valley Creamery",
                "position": 1,
            },
            {
                "text": (
                    "Eighty-five skilled jobs is a real vote of confidence in the town, and most of those wages will "
                    "be spent in our shops, cafés and pubs."
                ),
                "speaker_name": "Anna Kowalczyk",
                "speaker_role": "Chair of Kingsmere Chamber of Trade",
                "position": 4,
            },
        ],
        "figures": [
            {
                "image": "saturday-market",
                "caption": "Wendshire Blue on sale at Kingsmere's Saturday market.",
                "position": 5,
            },
        ],
        "related": ["high-street-vacancies"],
        "status": "published",
    },
    {
        "slug": "harrow-down-wind-farm",
        "kicker": "Analysis",
        "headline": "Harrow Down wind farm: who gains from the community turbines, and who pays the bill",
        "standfirst": (
            "Five years after the first blades turned above Kingsmere, the community-owned wind farm wants to double "
            "in size. Our correspondents examine the money, the power and the arguments."
        ),
        "section": "environment",
        "authors": ["priya-raman", "tom-okafor"],
        "tags": ["energy", "farming", "jobs"],
        "lead_image": "harrow-turbines",
        "lead_image_caption": "",
        "hours_ago": 51,
        "top_story": True,
        "paragraphs": [
            "On a clear day the six turbines of Harrow Down can be seen from almost every street in Kingsmere. Since "
            "they began generating five years ago they have become a landmark, a source of income for local good "
            "causes and, for some residents, a reminder of a planning battle that divided the town.",
            "The wind farm is owned by Harrow Down Community Energy, a co-operative with around 2,300 members, most "
            "of whom live within ten miles of the site. Members invested between £250 and £20,000 each, raising "
            "£9.6m, with the remainder borrowed from a specialist lender. They have received an average annual return "
            "of 4.5 per cent.",
            "Last year the turbines generated about 38 gigawatt-hours of electricity, enough for roughly 13,000 "
            "homes, according to the co-operative's accounts. A community fund paid for from the profits has handed "
            "out £612,000 in grants, paying for a new roof at Brackwater village hall, insulation for 140 homes and a "
            "minibus for the Kingsmere youth club.",
            "Now the co-operative wants to add six more turbines and a battery storage site on land further along the "
            "ridge. It says the expansion would allow it to offer a discounted electricity tariff to households in "
            "the surrounding parishes for the first time, something members have long asked for but which has so far "
            "proved too costly to arrange.",
            "Opposition has not disappeared. The Save Harrow Down group, which fought the original application, says "
            "the larger turbines proposed would be nearly 50 metres taller than the existing ones and would dominate "
            "views from the hill fort on Cresthill Ridge. It also questions whether people renting homes, who cannot "
            "easily join the co-operative, share fairly in the benefits.",
            "For the farmers who lease the land, the calculation is simpler. Rent from the turbines now makes up "
            "about a fifth of the income of Harrow Down Farm, whose owners say it has allowed them to keep their "
            "dairy herd through two years of poor milk prices.",
            "A planning application is expected in the spring. If approved, the expanded wind farm would be the "
            "largest community-owned energy scheme in the region, and the co-operative would need to raise a further "
            "£18m, with a share offer open to residents of the surrounding parishes first.",
        ],
        "quotes": [
            {
                "text": (
                    "When a big energy company builds a wind farm, the profits leave the county. Here they stay in "
                    "Wendshire, in village halls, warmer homes and members' pockets."
                ),
                "speaker_name": "Sam Hollis",
                "speaker_role": "Chair of Harrow Down Community Energy",
                "position": 3,
            },
            {
                "text": (
                    "We've never said no to renewable energy. We've said that doubling an industrial site on one of "
                    "Wendshire's finest ridges is a price the landscape shouldn't have to pay."
                ),
                "speaker_name": "Tessa Morland",
                "speaker_role": "Spokeswoman for Save Harrow Down",
                "position": 5,
            },
        ],
        "figures": [
            {
                "image": "cresthill-ridge",
                "caption": "Campaigners say larger turbines would dominate views from Cresthill Ridge.",
                "position": 4,
            },
        ],
        "related": ["creamery-expansion-jobs"],
        "status": "published",
    },
    {
        "slug": "charter-fair-750",
        "kicker": "",
        "headline": "Charter Fair returns to Kingsmere market square to mark 750 years of trading rights",
        "standfirst": (
            "A recreated medieval market, a procession along Sheepgate and a community play with a cast of 120 are "
            "planned for this summer's celebrations of the town's market charter."
        ),
        "section": "culture",
        "authors": ["gareth-lloyd"],
        "tags": ["festival", "heritage", "high street"],
        "lead_image": "saturday-market",
        "lead_image_caption": "Market Square will host more than 80 stalls during the Charter Fair.",
        "hours_ago": 70,
        "paragraphs": [
            "Kingsmere will mark the 750th anniversary of its market charter this summer with the biggest Charter "
            "Fair in living memory, organisers have announced, with three days of events planned across Market "
            "Square, the Abbey Gardens and the riverside meadows. Planning for the celebrations began two years ago.",
            "The charter, granted in 1276, gave the town the right to hold a weekly market and an annual fair on the "
            "feast of St Botolph. The original parchment, kept in the county record office, will go on public display "
            "at Kingsmere Museum for the first time in more than thirty years, protected in a specially built "
            "climate-controlled case.",
            "The programme includes a procession of traders, guilds and schools along Sheepgate, a recreated medieval "
            "market with more than 80 stalls, a longbow display on the meadows and an evening of music on a stage in "
            "front of the Corn Exchange. Events will be free, though some workshops and the museum's late openings "
            "will require booking.",
            "At the heart of the celebrations is a new community play, Fair Measure, written by the Kingsmere-born "
            "playwright Maya Quist. It will be performed by a cast of more than 120 residents, aged from seven to 84, "
            "in the cobbled yard of the old Corn Exchange over four nights.",
            "The town council has set aside £65,000 for the fair, with a further £40,000 raised from local businesses "
            "and a grant from the Wendshire Community Foundation. Organisers hope to attract 25,000 visitors, more "
            "than double the usual number, and are working with the county on extra parking and shuttle buses from "
            "the station.",
            "Traders on the market, which still operates every Wednesday and Saturday, say the anniversary is a "
            "chance to remind people why the town exists at all. The number of stallholders has fallen from 64 a "
            "decade ago to 38 today, and the market association hopes the fair will attract new traders as well as "
            "visitors.",
        ],
        "quotes": [
            {
                "text": (
                    "Seven and a half centuries ago this town was given the right to trade, and it has never stopped. "
                    "This summer we want every resident to feel part of that story."
                ),
                "speaker_name": "Margaret Ashdown",
                "speaker_role": "Leader of Kingsmere Town Council",
                "position": 1,
            },
            {
                "text": (
                    "Market Square is the town's shop window. If the Charter Fair brings people back to the market and "
                    "the high street, the whole of Kingsmere benefits."
                ),
                "speaker_name": "Anna Kowalczyk",
                "speaker_role": "Chair of Kingsmere Chamber of Trade",
                "position": 5,
            },
        ],
        "figures": [
            {
                "image": "corn-exchange-stage",
                "caption": "Fair Measure will be staged in the yard of the Corn Exchange over four nights.",
                "position": 4,
            },
        ],
        # Blocks written in the body editor: each after the paragraph it names.
        "blocks": [
            {
                "after": 1,
                "picture": {
                    "image": "high-street-night",
                    "caption": "Sheepgate, where the procession of traders, guilds and schools will pass.",
                },
            },
            {
                "after": 2,
                "fact_box": {
                    "title": "The Charter Fair at a glance",
                    "points": [
                        "Three days of events in Market Square, the Abbey Gardens and the riverside meadows",
                        "A recreated medieval market with more than 80 stalls",
                        "Fair Measure, a community play with a cast of 120, over four nights",
                        "Events are free; some workshops and museum late openings need booking",
                    ],
                },
            },
            {
                "after": 3,
                "gallery": [
                    {
                        "image": "saturday-market",
                        "caption": "The Saturday market, which the fair will more than double.",
                    },
                    {"image": "corn-exchange-stage", "caption": ""},
                    {"image": "kingsmere-rooftops", "caption": "The town the charter made, from the abbey tower."},
                    {"image": "abbey-bridge", "caption": "The procession ends at the Abbey Gardens by the bridge."},
                ],
            },
            {
                "after": 6,
                "table": {
                    "caption": "Money for the Charter Fair",
                    "rows": [
                        ["Source", "Amount"],
                        ["Kingsmere Town Council", "£65,000"],
                        ["Local businesses and the Wendshire Community Foundation", "£40,000"],
                    ],
                },
            },
        ],
        "related": ["high-street-vacancies", "low-water-review"],
        "status": "published",
    },
    {
        "slug": "high-street-vacancies",
        "kicker": "",
        "headline": "One in six Kingsmere high street units now empty as rents and business rates bite",
        "standfirst": (
            "A survey by the Chamber of Trade found 31 vacant shops across the town centre, with Sheepgate and the "
            "upper end of High Street worst affected."
        ),
        "section": "business",
        "authors": ["tom-okafor"],
        "tags": ["high street", "jobs", "town council", "café"],
        "lead_image": "high-street-night",
        "lead_image_caption": "",
        "hours_ago": 96,
        "paragraphs": [
            "Almost one in six shop units in Kingsmere town centre is now empty, according to a survey by the "
            "Kingsmere Chamber of Trade, with traders blaming rising rents, business rates and the loss of passing "
            "trade to the out-of-town retail park at Hollin Cross.",
            "The survey, carried out by volunteers over two weeks last month, counted 31 vacant units out of 194, a "
            "vacancy rate of 16 per cent. Three years ago the figure was 9 per cent. Sheepgate fared worst, with "
            "eight empty units in a street of 27, while the upper end of High Street lost a bank, a shoe shop and two "
            "cafés in the past year.",
            "Market Square remains the busiest part of the town, with only two vacancies, helped by the twice-weekly "
            "market and the reopened Corn Exchange. Independent businesses now make up almost three-quarters of "
            "occupied units, up from just over half a decade ago, as national chains have closed branches or moved to "
            "the retail park.",
            "Several traders told the Courier that landlords, many of them based outside the county, were reluctant "
            "to cut rents even when units had stood empty for more than a year. One shop on Sheepgate has been vacant "
            "for more than five years, its windows covered in faded posters.",
            "The chamber is calling on Kingsmere Town Council to introduce a meanwhile-use scheme, under which empty "
            "shops would be let at low rents to start-up businesses, artists and community groups for short periods. "
            "Similar schemes elsewhere in Wendshire have filled a number of units, some of which went on to attract "
            "permanent tenants.",
            "The town council says it is drawing up a town centre plan, due to be published in the autumn, which will "
            "include measures to support new businesses, improve signs from the station and car parks, and make "
            "better use of the upper floors above shops, many of which have been empty for decades.",
        ],
        "quotes": [
            {
                "text": (
                    "Nobody walks past eight empty shops and decides to come back next week. We need landlords, "
                    "councillors and traders around one table, and we need it quickly."
                ),
                "speaker_name": "Anna Kowalczyk",
                "speaker_role": "Chair of Kingsmere Chamber of Trade",
                "position": 2,
            },
            {
                "text": (
                    "We can't set rents or business rates, but we can make the town centre a place people want to be. "
                    "Filling empty shops is our top priority this year."
                ),
                "speaker_name": "Margaret Ashdown",
                "speaker_role": "Leader of Kingsmere Town Council",
                "position": 5,
            },
        ],
        "figures": [
            {
                "image": "saturday-market",
                "caption": "Market Square has only two vacant units, helped by the twice-weekly market.",
                "position": 3,
            },
        ],
        "related": ["charter-fair-750", "creamery-expansion-jobs"],
        "status": "published",
    },
    {
        "slug": "evening-bus-cuts",
        "kicker": "",
        "headline": "Evening buses between Kingsmere and Wendmouth axed as county subsidy runs out",
        "standfirst": (
            "Shift workers, students and hospital visitors say they will be stranded after the last Route 12 departure "
            "was brought forward to 6.40pm from next month."
        ),
        "section": "news",
        "authors": ["sian-whitlock"],
        "tags": ["transport", "jobs"],
        "lead_image": "wendmouth-quay",
        "lead_image_caption": "Wendmouth, at the mouth of the Wend, is 14 miles from Kingsmere by road.",
        "hours_ago": 122,
        "paragraphs": [
            "Evening bus services between Kingsmere and the coastal town of Wendmouth are to be withdrawn from next "
            "month after Wendshire County Council said it could no longer afford to subsidise them. The decision "
            "affects six journeys each weekday and four on Saturdays.",
            "The Route 12, operated by Wendline Buses, runs every half an hour during the day along the Wend valley, "
            "stopping at Brackwater, Fennick and Wendmouth General Hospital. From next month the last departure from "
            "Kingsmere will leave at 6.40pm instead of 11.10pm, and there will be no evening services at all on "
            "Sundays.",
            "The county has been paying about £186,000 a year to keep the evening journeys running. Passenger numbers "
            "after 7pm average fewer than nine people per trip, according to figures presented to councillors, "
            "compared with 31 during the day. The county says its budget for supported bus services has fallen by a "
            "quarter in four years.",
            "Users of the service say the figures do not tell the whole story. Staff at the hospital, many of whom "
            "work shifts finishing at 8pm or 10pm, rely on the evening buses, as do students at Wendshire College's "
            "Wendmouth campus and people visiting relatives on the wards.",
            "The Wend Valley Rail & Bus Partnership, a volunteer group that campaigns for public transport along the "
            "valley, has launched a petition calling for the decision to be reversed. By Friday it had gathered more "
            "than 3,400 signatures. The group points out that the railway line to Wendmouth closed in 1966, leaving "
            "the bus as the only public transport link.",
            "The county says it is exploring a demand-responsive minibus service that passengers could book by phone "
            "or app, and has asked the hospital trust whether it would contribute towards the cost of late-evening "
            "journeys for its staff. A report is due to go before the cabinet in two months.",
        ],
        "quotes": [
            {
                "text": (
                    "We've protected daytime services wherever we can, and we'll keep talking to the Wend Valley Rail "
                    "& Bus Partnership, but we can't justify nearly £200,000 a year on buses that run largely empty "
                    "after seven o'clock."
                ),
                "speaker_name": "Rajesh Bhatt",
                "speaker_role": "Cabinet member for highways and transport, Wendshire County Council",
                "position": 3,
            },
            {
                "text": (
                    "Cutting the last bus at twenty to seven tells nurses, students and carers that their journeys "
                    "don't matter. Once people give up on the bus, they don't come back."
                ),
                "speaker_name": "Kath Rennie",
                "speaker_role": "Chair of the Wend Valley Rail & Bus Partnership",
                "position": 5,
            },
        ],
        "figures": [],
        "related": ["abbey-bridge-closure"],
        "status": "published",
    },
    {
        "slug": "otters-return-upper-wend",
        "kicker": "",
        "headline": "Otters breeding on the upper Wend for the first time in more than forty years",
        "standfirst": (
            "Camera traps set by volunteers have recorded a female and two cubs near Brackwater, a sign that years of "
            "work to clean up the river are starting to pay off."
        ),
        "section": "environment",
        "authors": ["priya-raman"],
        "tags": ["river wend", "farming"],
        "lead_image": "wend-riverbank",
        "lead_image_caption": "The exact stretch of river used by the otters is being kept secret.",
        "hours_ago": 150,
        "paragraphs": [
            "Otters are breeding on the upper reaches of the River Wend for the first time in more than four decades, "
            "according to the Wend Rivers Trust, after volunteers captured footage of a female and two cubs on a "
            "wooded stretch of bank near Brackwater.",
            "The images were recorded over three nights in late summer by one of 24 motion-activated cameras the "
            "trust has placed along the river. Otter droppings, known as spraints, have been found on the lower river "
            "for several years, but this is the first confirmed evidence of breeding above Kingsmere since the 1970s.",
            "Otters disappeared from much of the Wend in the 1960s and 1970s, when pesticides washing off farmland "
            "poisoned the fish they fed on and riverside habitat was cleared for agriculture. By the early 1980s "
            "surveys found no trace of them anywhere on the river.",
            "Their return follows two decades of work by farmers, the trust and the water company to reduce "
            "pollution. More than 40 kilometres of riverbank have been fenced to keep cattle out of the water, and "
            "26,000 trees have been planted along the banks. Fish surveys show brown trout numbers in the upper river "
            "have more than doubled in fifteen years.",
            "The trust warns, however, that the river is far from healthy. Sewage overflows upstream of Kingsmere "
            "discharged into the Wend on 91 occasions last year, and algae blooms in hot weather are becoming more "
            "frequent. Only one of the river's seven monitored stretches is classed as being in good ecological "
            "condition.",
            "The location of the breeding site is being kept secret to protect the animals from disturbance. The "
            "trust is asking dog walkers and anglers to report sightings through its website, and is recruiting "
            "volunteers to check and maintain its cameras over the winter.",
        ],
        "quotes": [
            {
                "text": (
                    "This is the moment we've been working towards for twenty years. Otters are at the top of the "
                    "river's food chain, so a breeding female tells us the whole system is recovering."
                ),
                "speaker_name": "Owen Fairley",
                "speaker_role": "Director of the Wend Rivers Trust",
                "position": 2,
            },
            {
                "text": (
                    "We lost a strip of grazing when we fenced the bank, and there were grumbles at the time. Seeing "
                    "cubs on our own stretch of river makes it worth every penny."
                ),
                "speaker_name": "Gwen Harker",
                "speaker_role": "Farmer at Lower Brackwater Farm",
                "position": 4,
            },
        ],
        "figures": [
            {
                "image": "brackwater-meadows",
                "caption": "Fencing along the upper Wend keeps grazing cattle out of the water.",
                "position": 3,
            },
        ],
        "related": ["wend-flood-scheme"],
        "status": "published",
    },
    {
        "slug": "low-water-review",
        "kicker": "Review",
        "headline": "Low Water at the Corn Exchange turns a town's flood memories into gripping theatre",
        "standfirst": (
            "Maya Quist's new play, staged by Wendshire Players with a cast drawn from the riverside streets, is the "
            "most ambitious production the restored theatre has attempted."
        ),
        "section": "culture",
        "authors": ["gareth-lloyd"],
        "tags": ["flooding", "heritage"],
        "lead_image": "corn-exchange-stage",
        "lead_image_caption": "Joanna Fell, centre, with members of the community cast in Low Water.",
        "hours_ago": 190,
        "paragraphs": [
            "There is a moment near the end of Low Water when the stage lights dim to a cold green and the sound of "
            "rain, which has been building for almost two hours, suddenly stops. In the silence a woman in a dressing "
            "gown wades forward with a photograph album held above her head. On opening night in Kingsmere, nobody in "
            "the audience moved.",
            "Maya Quist's play, the first new commission by Wendshire Players since the Corn Exchange reopened as a "
            "theatre three years ago, follows three households on Quay Street over a single night during a great "
            "flood. It draws on interviews with more than 60 residents who lived through the town's floods, and some "
            "of their words are spoken verbatim.",
            "Director Ned Ashworth keeps the staging spare. A tilted wooden platform, slick with water by the second "
            "half, stands in for every room and street, and the action moves between houses without a break. The "
            "lighting by Ruth Aldous and a rumbling score played live by a trio from the Kingsmere Silver Band do "
            "much of the work of telling us how high the river has risen.",
            "The performances are uneven but often remarkable. Joanna Fell, a professional actor who grew up on Mill "
            "Lane, is superb as the retired schoolteacher determined not to leave her home, and the younger members "
            "of the community cast bring real wit to the scenes set in an upstairs bedroom where three teenagers wait "
            "to be rescued.",
            "The play is weaker when it strays into argument. A scene at a public meeting, in which characters debate "
            "flood walls and insurance premiums, feels like a council report set to dialogue, and the second act runs "
            "perhaps fifteen minutes too long. These are small complaints about a production that is, for the most "
            "part, gripping.",
            "Low Water runs at the Corn Exchange until the end of the month, with a relaxed performance on the final "
            "Saturday. Tickets cost £14, or £8 for under-18s, and a share of the proceeds will go to the Kingsmere "
            "flood support group, which helps households recover after the river breaks its banks.",
        ],
        "quotes": [
            {
                "text": (
                    "Everyone in Kingsmere has a flood story. We didn't want to make a documentary, but we did want "
                    "people who'd lost their homes to recognise themselves on that stage."
                ),
                "speaker_name": "Ned Ashworth",
                "speaker_role": "Director of Low Water",
                "position": 2,
            },
            {
                "text": (
                    "I grew up three streets from the river. When the water came, my mother carried the family "
                    "photographs upstairs before anything else, and that image stayed with me for thirty years."
                ),
                "speaker_name": "Maya Quist",
                "speaker_role": "Playwright",
                "position": 4,
            },
        ],
        "figures": [],
        "related": ["wend-flood-scheme", "charter-fair-750"],
        "status": "published",
    },
    {
        "slug": "wendmouth-harbour-upgrade",
        "kicker": "",
        "headline": "Wendmouth fishing fleet bets on £5m harbour upgrade to land more of its catch locally",
        "standfirst": (
            "A new ice plant, cold store and fish market hall are intended to stop boats sailing to larger ports to "
            "sell their catch, keeping jobs and money in the Wend estuary."
        ),
        "section": "business",
        "authors": ["tom-okafor"],
        "tags": ["jobs", "river wend", "energy"],
        "lead_image": "wendmouth-quay",
        "lead_image_caption": "",
        "hours_ago": 245,
        "paragraphs": [
            "Wendmouth's fishing fleet is hoping that a £5m upgrade to the harbour will reverse years of decline and "
            "allow more of its catch to be landed, processed and sold on the Wend estuary rather than in larger ports "
            "along the coast.",
            "The project, led by the Wendmouth Harbour Commissioners, will see a new ice plant and cold store built "
            "on the east quay, along with a covered market hall where fish can be auctioned to buyers each morning. "
            "Part of the quay wall, damaged in storms two winters ago, will be rebuilt and the harbour channel "
            "dredged.",
            "The fleet has shrunk from 41 boats in 1990 to 17 today, most of them under ten metres long. Without "
            "facilities to keep fish fresh, skippers say they often have to steam two hours along the coast to sell "
            "their catch, burning fuel and losing time at sea. About £3.4m of fish and shellfish was landed at "
            "Wendmouth last year.",
            "Around £3.8m of the cost will come from a coastal communities grant, with the rest borrowed by the "
            "harbour commissioners against future landing fees and rents from the new buildings. The commissioners "
            "forecast that landings will rise by 40 per cent within five years and that 22 jobs will be created in "
            "processing and sales.",
            "A seafood business based in Kingsmere has already signed a letter of intent to lease part of the new "
            "market hall, and restaurants in both towns have said they would buy directly from the quay. The harbour "
            "is also in talks about providing a base for crew boats serving offshore wind farms, which would help "
            "fill the quay in winter.",
            "Building work is due to begin after the summer season, to avoid disrupting the tourist trade on which "
            "much of the town depends. The commissioners say the harbour will remain open throughout, although some "
            "berths on the east quay will be unavailable for around nine months.",
        ],
        "quotes": [
            {
                "text": (
                    "My father fished out of this harbour, and so did his. If we can land it here, ice it here and "
                    "sell it here, there's a future for my son's generation too."
                ),
                "speaker_name": "Joe Tregarth",
                "speaker_role": "Chair of the Wendmouth Fishermen's Association",
                "position": 2,
            },
            {
                "text": (
                    "A working harbour is what makes Wendmouth more than a postcard. This investment is about keeping "
                    "boats, jobs and skills on the quay for another fifty years."
                ),
                "speaker_name": "Alison Penrose",
                "speaker_role": "Harbour master, Wendmouth Harbour Commissioners",
                "position": 4,
            },
        ],
        "figures": [],
        "related": ["creamery-expansion-jobs", "evening-bus-cuts"],
        "status": "published",
    },
    {
        "slug": "school-places-squeeze",
        "kicker": "",
        "headline": "Kingsmere secondary schools face squeeze as 180 extra pupils expected within three years",
        "standfirst": (
            "County forecasts show both of the town's secondary schools will be full unless new classrooms are built, "
            "with new housing driving much of the growth."
        ),
        "section": "news",
        "authors": ["helen-marsh"],
        "tags": ["schools", "housing"],
        "lead_image": "kingsmere-rooftops",
        "lead_image_caption": "Around 1,100 homes have planning permission in and around Kingsmere.",
        "hours_ago": 330,
        "paragraphs": [
            "Kingsmere's two secondary schools will run out of places within three years unless extra classrooms are "
            "built, according to forecasts published by Wendshire County Council, which expects an additional 180 "
            "pupils to need places in the town by then. The figures were presented to county councillors this week.",
            "Kingsmere Academy and St Aldhelm's Church of England School between them have room for 1,950 pupils and "
            "are currently 94 per cent full. The county's forecasts, based on birth rates, migration and planned "
            "housing, suggest demand will exceed capacity in three years' time, with the pressure greatest in the "
            "first two year groups.",
            "New housing accounts for much of the increase. Around 1,100 homes have planning permission in and around "
            "the town, including 240 at Tannery Yard and 380 at Fennick Fields on the northern edge of Kingsmere. "
            "Developers contribute towards school places through planning agreements, but the money is often paid "
            "only once homes are built and sold.",
            "The county is consulting on two options: expanding Kingsmere Academy by 150 places with a new "
            "three-storey teaching block, or adding a smaller extension at St Aldhelm's and converting part of the "
            "former adult education centre on Abbey Road into classrooms. Both would cost between £8m and £11m.",
            "Parents have raised concerns that, without action, some children could be sent to schools in Wendmouth, "
            "a 40-minute bus journey away. Last year 37 Kingsmere children did not get a place at either of the "
            "town's schools and were offered places elsewhere, according to the county's admissions report.",
            "The consultation closes at the end of next month, and a decision is expected in the spring. Any new "
            "building would need to be ready by the start of the academic year in which the shortfall is forecast to "
            "begin, leaving little margin for delay.",
        ],
        "quotes": [
            {
                "text": (
                    "We have the space on our site and the staff to grow, but we need a decision soon. Every year of "
                    "delay makes it harder to open new classrooms in time."
                ),
                "speaker_name": "Richard Oyelaran",
                "speaker_role": "Headteacher, Kingsmere Academy",
                "position": 1,
            },
            {
                "text": (
                    "Every child in Kingsmere should be able to go to school in their own town. We're determined to "
                    "build the places before they're needed, not after."
                ),
                "speaker_name": "Joan Pike",
                "speaker_role": "Cabinet member for children's services, Wendshire County Council",
                "position": 4,
            },
        ],
        "figures": [],
        "related": ["tannery-yard-homes"],
        "status": "published",
    },
    {
        "slug": "cresthill-quarry-hedgerows",
        "kicker": "",
        "headline": "Quarry extension on Cresthill Ridge would destroy ancient hedgerows, campaigners warn",
        "standfirst": (
            "Cresthill Aggregates says extending its limestone workings would secure 40 jobs for fifteen years, but "
            "wildlife groups say the plan would cut through hedges recorded in a medieval charter."
        ),
        "section": "environment",
        "authors": ["priya-raman"],
        "tags": ["farming", "heritage", "jobs"],
        "lead_image": "cresthill-ridge",
        "lead_image_caption": "",
        "hours_ago": 14,
        "paragraphs": [
            "Plans to extend a limestone quarry on Cresthill Ridge, south of Kingsmere, would destroy more than two "
            "kilometres of ancient hedgerows and threaten a colony of rare bats, wildlife campaigners have warned. "
            "The application will be considered by the county's planning committee in the new year.",
            "Cresthill Aggregates, which has quarried stone on the ridge since the 1950s, wants to extend its "
            "workings by 28 hectares onto neighbouring farmland. The company says its existing reserves will run out "
            "within three years and that the extension would secure 40 direct jobs and supply stone for roads and "
            "building across the county for another fifteen years.",
            "Some of the hedgerows that would be removed are thought to mark boundaries described in an abbey charter "
            "from the thirteenth century, making them among the oldest features of the Wendshire landscape. A survey "
            "commissioned by campaigners found 11 woody species in a single 30-metre stretch, a sign of great age.",
            "Bat surveys carried out for the company's own environmental statement recorded greater horseshoe bats "
            "feeding along the hedges, which they use to navigate between roosts in old farm buildings and foraging "
            "grounds in the Wend valley. The species is legally protected, and any disturbance would require a "
            "special licence.",
            "The company has proposed planting 3.5 kilometres of new hedgerow, moving sections of the old hedges and "
            "restoring worked-out areas of the quarry as wildflower grassland and ponds once extraction ends. It says "
            "the site would deliver a net gain in wildlife habitat within twenty years.",
            "More than 600 objections have been lodged with the county council, alongside 85 letters of support, most "
            "from employees, hauliers and local building firms. Cresthill parish council has not yet taken a formal "
            "position and will discuss the plans at a public meeting in the village hall next month.",
        ],
        "quotes": [
            {
                "text": (
                    "You can plant a new hedge in a winter, but you can't plant seven hundred years. Once these "
                    "hedgerows are gone, the landscape loses a piece of its memory for good."
                ),
                "speaker_name": "Owen Fairley",
                "speaker_role": "Director of the Wend Rivers Trust",
                "position": 3,
            },
            {
                "text": (
                    "We've been good neighbours on this ridge for seventy years. This extension keeps forty families "
                    "in work and, when we're finished, leaves more habitat than there is today."
                ),
                "speaker_name": "Paul Danvers",
                "speaker_role": "Operations director, Cresthill Aggregates",
                "position": 5,
            },
        ],
        "figures": [],
        "related": ["harrow-down-wind-farm"],
        "status": "draft",
    },
    {
        "slug": "folk-festival-line-up",
        "kicker": "",
        "headline": "Wend Valley Folk Festival unveils its biggest line-up yet with 60 acts on four stages",
        "standfirst": (
            "The three-day festival moves to the riverside meadows for the first time, with a shuttle bus from the "
            "station and a new stage devoted to young performers."
        ),
        "section": "culture",
        "authors": ["gareth-lloyd"],
        "tags": ["festival", "river wend", "transport", "schools"],
        "lead_image": "corn-exchange-stage",
        "lead_image_caption": "Young performers auditioned for the new Boathouse stage at the Corn Exchange.",
        "hours_ago": -48,
        "paragraphs": [
            "The Wend Valley Folk Festival has announced the largest programme in its 22-year history, with 60 acts "
            "booked to perform across four stages on the riverside meadows below Abbey Bridge over the August bank "
            "holiday weekend. Early-bird tickets go on sale on Monday.",
            "The festival began as a single evening of music in the back room of the Ferry Inn and has grown "
            "steadily, moving to the Abbey Gardens a decade later. Last year it sold out for the first time, with "
            "6,500 people attending across the weekend, and organisers say demand for tickets made the move to a "
            "larger site inevitable.",
            "This year's line-up mixes established names from the British and Irish folk scenes with local "
            "performers, including the Kingsmere Silver Band, the Cresthill Morris Men and the singer-songwriter "
            "Eliza Wray, whose debut album of songs about the Wendshire coast was recorded in a net loft in "
            "Wendmouth.",
            "A new stage, called the Boathouse, will be given over entirely to performers under 25, with slots chosen "
            "through open auditions held at the Corn Exchange in the spring. More than 90 young musicians applied. "
            "The festival is also running songwriting and instrument workshops in Kingsmere's two secondary schools "
            "in the weeks before the event.",
            "The move to the meadows has required careful planning. The site lies on the flood plain, and the "
            "festival has agreed an evacuation plan with the county council in case of heavy rain. With Abbey Bridge "
            "closed to traffic for repairs, a shuttle bus will run every fifteen minutes from the railway station, "
            "and visitors are being urged not to drive.",
            "Weekend tickets cost £95, with day tickets from £38 and free entry for under-12s. Residents of Kingsmere "
            "and Brackwater will be able to buy a limited number of discounted tickets through the town council, and "
            "the festival will again donate £1 from every ticket to the Wend Rivers Trust.",
        ],
        "quotes": [
            {
                "text": (
                    "We started with forty people and a borrowed PA system. Twenty-two years on we've got four stages "
                    "and a waiting list, but it still feels like a party the whole valley is invited to."
                ),
                "speaker_name": "Rosie Thackeray",
                "speaker_role": "Festival director, Wend Valley Folk Festival",
                "position": 2,
            },
            {
                "text": (
                    "The festival has become one of the highlights of Kingsmere's year. Bringing it down to the river, "
                    "where the town began, feels exactly right."
                ),
                "speaker_name": "Margaret Ashdown",
                "speaker_role": "Leader of Kingsmere Town Council",
                "position": 4,
            },
        ],
        "figures": [
            {
                "image": "wend-riverbank",
                "caption": "The festival's new site on the riverside meadows below Abbey Bridge.",
                "position": 5,
            },
        ],
        "related": ["charter-fair-750", "abbey-bridge-closure"],
        "status": "scheduled",
    },
]

PAGES = [
    {
        "slug": "about",
        "title": "About us",
        "order": 1,
        "description": "Who we are and how we report on Kingsmere and the Wend valley.",
        "body": (
            "<p>The Kingsmere Courier is an independent local newsroom covering Kingsmere, Wendmouth and the "
            "villages of the Wend valley. Our reporters live here, go to the council meetings and answer their "
            "own phones.</p>"
            "<h2>How we work</h2>"
            "<p>We check what we publish with the people it is about, name our sources wherever we can, and say "
            "so at the foot of a story when we get something wrong.</p>"
            "<h2>Corrections</h2>"
            "<p>Every correction is dated and stays on the article. Tell us about a mistake through the "
            '<a href="/contact/">contact page</a>.</p>'
        ),
    },
    {
        "slug": "contact",
        "title": "Contact",
        "order": 2,
        "description": "How to reach the newsroom with a story, a correction or a question.",
        "body": (
            "<p>Have a story, a photograph or a correction? We would like to hear from you.</p>"
            "<ul>"
            '<li>News desk: <a href="mailto:news@example.org">news@example.org</a></li>'
            '<li>Corrections: <a href="mailto:corrections@example.org">corrections@example.org</a></li>'
            '<li>Telephone: <a href="tel:+441632960000">01632 960000</a> (weekdays, 9am to 6pm)</li>'
            "</ul>"
            "<p>Our office is above the old Corn Exchange, Market Square, Kingsmere.</p>"
        ),
    },
]
